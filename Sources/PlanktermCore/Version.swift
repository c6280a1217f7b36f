/// plankterm's version, written into exports' provenance.
public enum PlanktermVersion {
    public static let string = "0.1.0"
}
