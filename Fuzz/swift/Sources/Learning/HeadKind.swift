/// The classifier heads plankterm trains: the one type of the `Learning` target that the config reader
/// (ThemeLoading.swift) uses. A copy of `HeadKind` in Sources/Learning/ClassifierHead.swift, so that the
/// fuzz build leaves out the numeric targets (OpenBLAS, NN); keep the cases the same.
public enum HeadKind: String, Sendable, Codable, CaseIterable {
    case knn, linear, mlp
}
