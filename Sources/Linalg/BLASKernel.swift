import COpenBLAS
import Foundation

/// Which OpenBLAS kernel runs, and a better one when OpenBLAS's own detection falls short.
///
/// Debian's OpenBLAS 0.3.21 does not recognise some virtual CPUs ("Intel Xeon Processor" with AVX-512)
/// and falls back to the SSE3 "Prescott" kernel, 2–3× slower for convolutions. OpenBLAS reads
/// `OPENBLAS_CORETYPE` only when it loads, so the executable re-executes itself with the variable set
/// (see `recommendedCoreType`); a value the user set is always left alone.
public enum BLASKernel {
    /// The kernel OpenBLAS chose ("Prescott", "Haswell", "SkylakeX", …).
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// The core type to force, or nil when OpenBLAS's choice is already right or was set by the user in
    /// `environment` (the process's, which the executable reads).
    public static func recommendedCoreType(
        environment: [String: String],
        cpuFlags: Set<String> = cpuFlags()
    ) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil else { return nil }
        let current = coreName.lowercased()
        let wanted: String
        if cpuFlags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl"]) {
            wanted = "SkylakeX"
            if current.contains("skylakex") || current.contains("cooperlake") || current.contains("sapphire") {
                return nil
            }
        } else if cpuFlags.isSuperset(of: ["avx2", "fma"]) {
            wanted = "Haswell"
            if ["haswell", "zen", "skylakex", "cooperlake", "sapphirerapids"].contains(where: current.contains) {
                return nil
            }
        } else {
            return nil
        }
        return wanted
    }

    /// The CPU feature flags of the first processor in /proc/cpuinfo (empty elsewhere).
    public static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
            let colon = line.firstIndex(of: ":")
        else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }
}
