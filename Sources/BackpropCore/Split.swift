extension DatasetOf {
    /// Holds out `fraction` of the samples, chosen by `generator`: (kept, held out).
    ///
    /// With `classes` (the class index of every sample) the split is stratified: each class
    /// gives round(fraction · its count) samples, at least one when it has two or more, so a
    /// small validation part still sees every class. Order within each part follows the
    /// original sample order, so the split depends only on the seed.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func split(holdingOut fraction: Double, classes: [Int]? = nil,
                      using generator: inout SeededGenerator) -> (kept: DatasetOf<Scalar>, heldOut: DatasetOf<Scalar>) {
        precondition(fraction > 0 && fraction < 1, "the held-out fraction must be in (0, 1)")
        var heldOut = [Bool](repeating: false, count: count)
        if let classes, classes.count == count {
            var byClass: [Int: [Int]] = [:]
            for (index, label) in classes.enumerated() { byClass[label, default: []].append(index) }
            for label in byClass.keys.sorted() {
                var members = byClass[label] ?? []
                var take = Int((fraction * Double(members.count)).rounded())
                if take == 0 && members.count >= 2 { take = 1 }
                if take >= members.count { take = members.count - 1 }
                generator.shuffle(&members)
                for index in members.prefix(max(take, 0)) { heldOut[index] = true }
            }
        } else {
            var order = Array(0..<count)
            generator.shuffle(&order)
            var take = Int((fraction * Double(count)).rounded())
            take = min(max(take, count >= 2 ? 1 : 0), max(count - 1, 0))
            for index in order.prefix(take) { heldOut[index] = true }
        }
        let keptIndices = (0..<count).filter { !heldOut[$0] }
        let heldIndices = (0..<count).filter { heldOut[$0] }
        return (subset(keptIndices), subset(heldIndices))
    }

    /// The samples at `indices`, in that order.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func subset(_ indices: [Int]) -> DatasetOf<Scalar> {
        var t = MatrixOf<Scalar>(rows: 0, columns: 0)
        targets.gatherRows(indices[...], into: &t)
        switch inputStorage {
        case .bytes(let bytes):
            return DatasetOf(bytes: bytes.subset(indices), targets: t)
        case .dense(let matrix):
            var x = MatrixOf<Scalar>(rows: 0, columns: 0)
            matrix.gatherRows(indices[...], into: &x)
            return DatasetOf(inputs: x, targets: t)
        }
    }

    /// The class index of every sample (argmax of its target row; a single column thresholds at 0.5).
    public var classIndices: [Int] {
        (0..<count).map { NetworkOf<Scalar>.predictedClass(targets.row($0)) }
    }
}
