/// The float64 matrix: what the pipeline reads, writes and charts.
public typealias Matrix = MatrixOf<Double>

/// A dense row-major matrix of `Scalar` (Double or Float), the one numeric container of the core.
///
/// A batch of samples is a matrix of row vectors: `(batch, features)`. Storage is one flat,
/// contiguous array so BLAS can read it directly and buffers can be reused between batches.
///
/// Methods other modules call carry `@_specialize` for Double and Float: called across modules, a
/// generic method otherwise runs its unspecialised form, every element through witness tables
/// (measured: evaluating Fashion-MNIST's training part for metrics.json took 8× longer).
public struct MatrixOf<Scalar: TrainingScalar>: Sendable, Equatable, Codable {
    public private(set) var rows: Int
    public private(set) var columns: Int
    /// Row-major elements: element (r, c) is `storage[r * columns + c]`.
    public var storage: [Scalar]

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public init(rows: Int, columns: Int, repeating value: Scalar = 0) {
        precondition(rows >= 0 && columns >= 0, "matrix dimensions must be non-negative")
        self.rows = rows
        self.columns = columns
        self.storage = Array(repeating: value, count: rows * columns)
    }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public init(rows: Int, columns: Int, storage: [Scalar]) {
        precondition(storage.count == rows * columns, "storage does not match \(rows)x\(columns)")
        self.rows = rows
        self.columns = columns
        self.storage = storage
    }

    /// Builds a matrix from nested rows; every row must have the same length.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public init(_ nested: [[Scalar]]) {
        let columns = nested.first?.count ?? 0
        precondition(nested.allSatisfy { $0.count == columns }, "ragged rows")
        self.init(rows: nested.count, columns: columns, storage: nested.flatMap { $0 })
    }

    @inlinable
    public subscript(row: Int, column: Int) -> Scalar {
        get { storage[row * columns + column] }
        set { storage[row * columns + column] = newValue }
    }

    /// The rows as nested arrays, for output and tests.
    public var nested: [[Scalar]] {
        (0..<rows).map { r in Array(storage[(r * columns)..<((r + 1) * columns)]) }
    }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func row(_ index: Int) -> ArraySlice<Scalar> {
        storage[(index * columns)..<((index + 1) * columns)]
    }

    /// Reshapes in place, keeping capacity: a buffer sized for a full batch holds the smaller
    /// last batch of an epoch and the next full batch without reallocating. Contents are
    /// unspecified afterwards unless the size is unchanged.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public mutating func resize(rows: Int, columns: Int) {
        let count = rows * columns
        if count < storage.count {
            storage.removeLast(storage.count - count)
        } else if count > storage.count {
            storage.append(contentsOf: repeatElement(0, count: count - storage.count))
        }
        self.rows = rows
        self.columns = columns
    }

    /// The rows at `indices`, in that order: a mini-batch gathered from a dataset.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func gatherRows(_ indices: ArraySlice<Int>, into result: inout MatrixOf<Scalar>) {
        result.resize(rows: indices.count, columns: columns)
        storage.withUnsafeBufferPointer { source in
            result.storage.withUnsafeMutableBufferPointer { target in
                var offset = 0
                for index in indices {
                    let start = index * columns
                    for c in 0..<columns { target[offset + c] = source[start + c] }
                    offset += columns
                }
            }
        }
    }

    /// Makes `result` the contiguous rows `range`, reusing its storage when the size fits.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func copyRows(_ range: Range<Int>, into result: inout MatrixOf<Scalar>) {
        result.resize(rows: range.count, columns: columns)
        let offset = range.lowerBound * columns
        storage.withUnsafeBufferPointer { source in
            result.storage.withUnsafeMutableBufferPointer { target in
                for i in target.indices { target[i] = source[offset + i] }
            }
        }
    }

    /// The contiguous rows `range`.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func rows(_ range: Range<Int>) -> MatrixOf<Scalar> {
        MatrixOf(rows: range.count, columns: columns,
               storage: Array(storage[(range.lowerBound * columns)..<(range.upperBound * columns)]))
    }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public mutating func fill(_ value: Scalar) {
        storage.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] = value }
        }
    }

    /// Makes this matrix a copy of `other`, reusing this matrix's storage when the size fits.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public mutating func assign(_ other: MatrixOf<Scalar>) {
        resize(rows: other.rows, columns: other.columns)
        other.storage.withUnsafeBufferPointer { source in
            storage.withUnsafeMutableBufferPointer { target in
                for i in source.indices { target[i] = source[i] }
            }
        }
    }
}

extension MatrixOf {
    /// Each element rounded to `Scalar` (exact from Float to Double).
    public init<Other: TrainingScalar>(converting other: MatrixOf<Other>) {
        self.init(rows: other.rows, columns: other.columns, storage: other.storage.map { Scalar($0) })
    }
}
