"""Summary of `plankterm bench calibration` JSON lines (Benchmarks/calibration.sh): mean and worst ECE of the
shown probabilities, out-of-fold ECE, balanced accuracy of the shown call (the balanced decision) / before the
prior correction / with the true mix, the same of the sample call (argmax of the shown probabilities),
accuracy, and what calibration and prior correction were chosen."""
import json
import sys

name, path = sys.argv[1], sys.argv[2]
rows = [json.loads(line) for line in open(path) if line.startswith("{")]
mean = lambda k: sum(r[k] for r in rows) / len(rows)
chosen = {}
for r in rows:
    c = r["calibration"]
    c = "bcts sd " + c.split("prior sd ")[1] if "prior sd" in c else ("bcts" if c.startswith("BCTS") else c.split(" ")[0])
    chosen[c] = chosen.get(c, 0) + 1
priors = {}
for r in rows:
    priors[r["priorSource"]] = priors.get(r["priorSource"], 0) + 1
summary = {
    "case": name, "draws": len(rows), "labels": round(mean("labels")),
    "ece_mean": round(mean("ece"), 4), "ece_worst": round(max(r["ece"] for r in rows), 4),
    "ece_before_prior_correction_mean": round(mean("eceBefore"), 4),
    # With the scored images' true mix as the target prior: the calibration's own share of the ECE.
    "ece_true_prior_mean": round(mean("eceTruePrior"), 4) if all("eceTruePrior" in r for r in rows) else None,
    # The shown probabilities before the top-label map (issue 15's last step).
    "ece_before_top_label_map": [round(mean("eceBeforeTopLabelMap"), 4), round(max(r["eceBeforeTopLabelMap"] for r in rows), 4)]
    if all("eceBeforeTopLabelMap" in r for r in rows) else None,
    "mean_confidence": round(mean("meanConfidence"), 4) if all("meanConfidence" in r for r in rows) else None,
    "oof_ece_mean": round(mean("oofECE"), 4), "oof_ece_upper_mean": round(mean("oofECEUpper"), 4),
    "calibration_trusted": sum(r["calibrationTrusted"] for r in rows),
    "balanced_accuracy": round(mean("balancedAccuracy"), 4),
    "balanced_accuracy_before": round(mean("balancedAccuracyBefore"), 4),
    "balanced_accuracy_true_prior": round(mean("balancedAccuracyTruePrior"), 4),
    "worst_balanced_accuracy_drop": round(min(r["balancedAccuracy"] - r["balancedAccuracyBefore"] for r in rows), 4),
    "accuracy": round(mean("accuracy"), 4), "accuracy_before": round(mean("accuracyBefore"), 4),
    # The sample call (argmax of the shown probabilities): the shown call before issue 15's decision.
    "balanced_accuracy_sample_call": round(mean("balancedAccuracySampleCall"), 4),
    "accuracy_sample_call": round(mean("accuracySampleCall"), 4),
    "accuracy_true_prior": round(mean("accuracyTruePrior"), 4),
    "calibration_chosen": chosen, "prior": priors,
}
print(json.dumps(summary))
