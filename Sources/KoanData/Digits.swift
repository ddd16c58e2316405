import Foundation
import KoanTensor

extension Dataset {
    /// The 1,797 8×8 handwritten digits (UCI "Optical Recognition of Handwritten Digits",
    /// test set, CC BY 4.0; as shipped by scikit-learn): features float32 `[1797, 64]` with
    /// integer values 0…16 (not normalised — see `normalized()`), labels int64 0…9,
    /// `classNames` "0"…"9", `imageShape` `[1, 8, 8]`. Identical to
    /// `sklearn.datasets.load_digits()`, same order. Loaded from the bundled `digits.npz`.
    ///
    ///     let digits = try Dataset.digits()
    ///     let x = try digits.normalized().images()    // [1797, 1, 8, 8], values 0…1
    public static func digits() throws -> Dataset {
        guard let url = Bundle.module.url(forResource: "digits", withExtension: "npz", subdirectory: "Resources") else {
            throw DataError.missingResource(name: "Resources/digits.npz")
        }
        let members = try NPY.loadArchive(path: url.path)
        guard let images = members.first(where: { $0.name == "images" })?.array,
              let target = members.first(where: { $0.name == "target" })?.array else {
            throw DataError.missingResource(name: "Resources/digits.npz (arrays 'images' and 'target')")
        }
        return try Dataset(features: try images.to(.float32), labels: target, classNames: (0...9).map(String.init), name: "digits",
                           imageShape: [1, 8, 8], valueRange: 0...16)
    }
}
