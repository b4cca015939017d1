import BackpropCore
import Foundation
import Testing
@testable import Pipeline

/// `csv`: every bad file with its exact message and exit code, then real loads.
@Suite struct DataCSVTests {
    struct BadFile: CustomStringConvertible, Sendable {
        let name: String
        let csv: String
        let keys: String
        let code: ExitCode
        let message: String
        var description: String { name }
    }

    static let good = "a,b,species\n1,2,x\n3,4,y\n"

    static let badFiles: [BadFile] = [
        BadFile(name: "ragged row, too few fields", csv: "a,b,species\n1,2,x\n3,y\n", keys: "", code: .dataError,
                message: "{dir}/d.csv:3:3: error: row has 2 fields but the header has 3"),
        BadFile(name: "ragged row, too many fields", csv: "a,b,species\n1,2,x,9\n", keys: "", code: .dataError,
                message: "{dir}/d.csv:2:4: error: row has 4 fields but the header has 3"),
        BadFile(name: "ragged row without a header", csv: "1,2,x\n3,4,y,5\n", keys: "header: false", code: .dataError,
                message: "{dir}/d.csv:2:4: error: row has 4 fields but the first row has 3"),
        BadFile(name: "non-numeric cell", csv: "a,b,species\n1,2,x\n3,abc,y\n", keys: "", code: .dataError,
                message: "{dir}/d.csv:3:2: error: cell 'abc' in column 'b' is not a number"),
        BadFile(name: "number with a thousands separator", csv: "a,b,species\n\"1,000\",2,x\n", keys: "", code: .dataError,
                message: "{dir}/d.csv:2:1: error: cell '1,000' in column 'a' is not a number"),
        BadFile(name: "number out of range", csv: "a,b,species\n1,1e999,x\n", keys: "", code: .dataError,
                message: "{dir}/d.csv:2:2: error: cell '1e999' in column 'b' is out of range for a number"),
        BadFile(name: "empty cell", csv: "a,b,species\n1,,x\n", keys: "", code: .dataError,
                message: "{dir}/d.csv:2:2: error: empty cell in column 'b'; set missing: drop_row or missing: mean to accept missing values"),
        BadFile(name: "NaN cell", csv: "a,b,species\n1,2,x\nNaN,4,y\n", keys: "", code: .dataError,
                message: "{dir}/d.csv:3:1: error: missing value 'NaN' in column 'a'; set missing: drop_row or missing: mean to accept missing values"),
        BadFile(name: "empty label", csv: "a,b,species\n1,2,\n", keys: "", code: .dataError,
                message: "{dir}/d.csv:2:3: error: empty label in column 'species'; set missing: drop_row to skip such rows"),
        BadFile(name: "empty label with missing: mean", csv: "a,b,species\n1,2,\n", keys: "missing: mean", code: .dataError,
                message: "{dir}/d.csv:2:3: error: empty label in column 'species'; a label cannot be filled in with a mean; use missing: drop_row"),
        BadFile(name: "missing regression target", csv: "a,b,y\n1,2,NA\n", keys: "task: regression\ntargets: [y]", code: .dataError,
                message: "{dir}/d.csv:2:3: error: missing target 'NA' in column 'y'; set missing: drop_row to skip such rows"),
        BadFile(name: "unknown label column, near a real one", csv: good, keys: "label: specis", code: .dataError,
                message: "{dir}/d.csv:1: error: no column named 'specis' ('label'); did you mean 'species'? The columns are: a, b, species"),
        BadFile(name: "unknown label column", csv: good, keys: "label: colour", code: .dataError,
                message: "{dir}/d.csv:1: error: no column named 'colour' ('label'); the columns are: a, b, species"),
        BadFile(name: "label by name without a header", csv: "1,2,x\n", keys: "header: false\nlabel: species", code: .dataError,
                message: "{dir}/d.csv:1: error: no column named 'species' ('label'); the file has no header (header: false), so name columns by 0-based index, 0 to 2"),
        BadFile(name: "label index out of range", csv: good, keys: "label: 3", code: .dataError,
                message: "{dir}/d.csv:1: error: column index 3 ('label') is out of range: the file has 3 columns, 0 to 2"),
        BadFile(name: "unknown feature column", csv: good, keys: "features: [a, weight]", code: .dataError,
                message: "{dir}/d.csv:1: error: no column named 'weight' ('features'); the columns are: a, b, species"),
        BadFile(name: "feature that is the label", csv: good, keys: "features: [a, species]", code: .dataError,
                message: "{dir}/d.csv:1: error: column 'species' is both a feature and the label"),
        BadFile(name: "unterminated quote", csv: "a,b,species\n1,2,\"x\n3,4,y\n", keys: "", code: .dataError,
                message: "{dir}/d.csv:2:3: error: a quoted field is never closed (the file ends inside it)"),
        BadFile(name: "quote inside an unquoted field", csv: "a,b,species\n1,2,x\"y\n", keys: "", code: .dataError,
                message: "{dir}/d.csv:2:3: error: quote inside an unquoted field; quote the whole field and double the quotes inside it"),
        BadFile(name: "text after a closing quote", csv: "a,b,species\n1,2,\"x\"y\n", keys: "", code: .dataError,
                message: "{dir}/d.csv:2:3: error: unexpected character 'y' after a closing quote; a quoted field must end at a delimiter or line end"),
        BadFile(name: "empty file", csv: "", keys: "", code: .dataError,
                message: "{dir}/d.csv: error: the file is empty"),
        BadFile(name: "header only", csv: "a,b,species\n", keys: "", code: .dataError,
                message: "{dir}/d.csv: error: the file has a header but no data rows"),
        BadFile(name: "one class", csv: "a,b,species\n1,2,x\n3,4,x\n", keys: "", code: .dataError,
                message: "{dir}/d.csv: error: the label column 'species' has only one class, 'x'; classification needs at least two"),
        BadFile(name: "every row dropped", csv: "a,b,species\n1,,x\n,4,y\n", keys: "missing: drop_row", code: .dataError,
                message: "{dir}/d.csv: error: every row has a missing value, so missing: drop_row left no samples"),
        BadFile(name: "mean of a column with no values", csv: "a,b,species\n1,,x\n2,?,y\n", keys: "missing: mean", code: .dataError,
                message: "{dir}/d.csv: error: column 'b' has no values in the training part, so 'missing: mean' has no mean to fill in"),
        BadFile(name: "test file with an unknown class", csv: good, keys: "test: t.csv", code: .dataError,
                message: "{dir}/t.csv:3:3: error: class 'z' in column 'species' is not a class of the training file (x, y)"),
        BadFile(name: "test file without a training column", csv: good, keys: "test: u.csv", code: .dataError,
                message: "{dir}/u.csv:1: error: no column named 'b' ('features'); did you mean 'a'? The columns are: a, species"),
        BadFile(name: "missing file", csv: good, keys: "path: nowhere.csv", code: .noInput,
                message: "{dir}/nowhere.csv: error: cannot open: no such file"),
        BadFile(name: "a folder", csv: good, keys: "path: sub", code: .noInput,
                message: "{dir}/sub: error: cannot read: it is a folder, not a file"),
        BadFile(name: "corrupt gzip", csv: good, keys: "path: broken.csv.gz", code: .dataError,
                message: "{dir}/broken.csv.gz: error: corrupt gzip data: invalid block type"),
        BadFile(name: "truncated gzip", csv: good, keys: "path: short.csv.gz", code: .dataError,
                message: "{dir}/short.csv.gz: error: the gzip stream ends early (truncated file)"),
    ]

    @Test(arguments: badFiles)
    func badFile(_ bad: BadFile) throws {
        let scratch = try DataScratch()
        try scratch.write("d.csv", bad.csv)
        try scratch.write("t.csv", "a,b,species\n1,2,x\n3,4,z\n")
        try scratch.write("u.csv", "a,species\n1,x\n")
        try FileManager.default.createDirectory(atPath: scratch.folder + "/sub", withIntermediateDirectories: true)
        var gzip = try GzipInflater.compress(Array(Self.good.utf8))
        try scratch.write("short.csv.gz", bytes: Array(gzip.prefix(gzip.count - 9)))
        gzip[10] = 0xFF   // the first deflate block header: BTYPE 11 is reserved
        try scratch.write("broken.csv.gz", bytes: gzip)
        let keys = bad.keys.hasPrefix("path:") ? bad.keys : "path: d.csv\n" + bad.keys
        let (code, message) = try scratch.failure("type: csv\n" + keys)
        #expect(message == bad.message)
        #expect(code == bad.code)
    }

    struct BadKey: CustomStringConvertible, Sendable {
        let keys: String
        let message: String
        var description: String { keys }
    }

    static let badKeys: [BadKey] = [
        BadKey(keys: "delimiter: ab", message: "'delimiter' of csv must be one character other than a quote or line break (or 'tab'), found 'ab'"),
        BadKey(keys: "normalize: standardise", message: "'normalize' of csv must be one of 'none', 'standardize', 'minmax', found 'standardise'; did you mean 'standardize'?"),
        BadKey(keys: "validation: 1.5", message: "'validation' of csv must be strictly between 0 and 1, found 1.5"),
        BadKey(keys: "missing: skip", message: "'missing' of csv must be one of 'error', 'drop_row', 'mean', found 'skip'"),
        BadKey(keys: "task: regression\nlabel: b", message: "'label' names a class column; with task: regression name the target columns with 'targets'"),
        BadKey(keys: "targets: [b]", message: "'targets' of a classification is 'one_hot' or 'single', found a list; name the class column with 'label' (target columns are for task: regression)"),
        BadKey(keys: "targets: b", message: "'targets' of a classification is 'one_hot' or 'single', found 'b'; name the class column with 'label' (target columns are for task: regression)"),
        BadKey(keys: "targets: singel", message: "'targets' of a classification is 'one_hot' or 'single', found 'singel'; did you mean 'single'?"),
        BadKey(keys: "label: -1", message: "'label' column index must be 0 or greater, found -1"),
        BadKey(keys: "lable: species", message: "unknown key 'lable' in 'data'; did you mean 'label'?"),
    ]

    /// Keys the spec gets wrong are spec errors (64), at the key's place in the spec.
    @Test(arguments: badKeys)
    func badKey(_ bad: BadKey) throws {
        let scratch = try DataScratch()
        try scratch.write("d.csv", Self.good)
        let (code, message) = try scratch.failure("type: csv\npath: d.csv\n" + bad.keys)
        #expect(code == .usage)
        let header = message.split(separator: "\n").first.map(String.init) ?? ""
        #expect(header.hasPrefix("{dir}/spec.yaml:"))
        #expect(header.hasSuffix("error: " + bad.message))
    }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @Test func irisLoads150RowsOf4FeaturesAnd3Classes() throws {
        let scratch = try DataScratch()
        let data = try scratch.load("type: csv\npath: \(Self.repository)/Data/iris.csv\nlabel: species")
        #expect(data.training.count == 150)
        #expect(data.training.featureCount == 4)
        #expect(data.task == .classification(classes: ["setosa", "versicolor", "virginica"]))
        #expect(data.featureNames == ["sepal_length", "sepal_width", "petal_length", "petal_width"])
        #expect(Array(data.training.inputs.row(0)) == [5.1, 3.5, 1.4, 0.2])
        #expect(Array(data.training.targets.row(0)) == [1, 0, 0])
        #expect(Array(data.training.targets.row(149)) == [0, 0, 1])
        #expect(data.validation == nil && data.test == nil && data.normalization == nil)
    }

    /// The contract's keys: stratified 25 % of each class (round(12.5) = 13) held out, and
    /// standardisation fitted on the 111 training rows only.
    @Test func irisContractSplitsAndStandardizes() throws {
        let scratch = try DataScratch()
        let data = try scratch.load("""
            type: csv
            path: \(Self.repository)/Data/iris.csv
            label: species
            task: classification
            normalize: standardize
            validation: 0.25
            """)
        #expect(data.training.count == 111)
        let validation = try #require(data.validation)
        #expect(validation.count == 39)
        #expect(validation.classIndices.filter { $0 == 2 }.count == 13)
        for c in 0..<4 {
            let column = (0..<111).map { data.training.inputs[$0, c] }
            let mean = column.reduce(0, +) / 111
            let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 111
            #expect(abs(mean) < 1e-12)
            #expect(abs(variance - 1) < 1e-12)
        }
        let again = try scratch.load("type: csv\npath: \(Self.repository)/Data/iris.csv\nvalidation: 0.25")
        #expect(again.validation?.count == 39)
        #expect(again.validation?.targets == validation.targets)
    }

    @Test func digitsLoads1797RowsOf64FeaturesAnd10Classes() throws {
        let scratch = try DataScratch()
        let data = try scratch.load("type: csv\npath: \(Self.repository)/Data/digits.csv\nlabel: digit")
        #expect(data.training.count == 1797)
        #expect(data.training.featureCount == 64)
        #expect(data.task.classNames == (0...9).map(String.init))
    }

    /// x = [1, 2, 3, 4] and a constant column: mean 2.5, σ = √1.25; min 1, range 3; the constant
    /// column gets scale 1 so it becomes 0.
    @Test func normalisationStatisticsAreExact() throws {
        let scratch = try DataScratch()
        try scratch.write("n.csv", "x,c,y\n1,7,a\n2,7,b\n3,7,a\n4,7,b\n")
        let standard = try scratch.load("type: csv\npath: n.csv\nnormalize: standardize")
        let sigma = (1.25 as Double).squareRoot()
        #expect(standard.normalization == Normalization(method: .standardize, shift: [2.5, 7], scale: [sigma, 1]))
        #expect(standard.training.inputs.storage == [-1.5 / sigma, 0, -0.5 / sigma, 0, 0.5 / sigma, 0, 1.5 / sigma, 0])
        let minmax = try scratch.load("type: csv\npath: n.csv\nnormalize: minmax")
        #expect(minmax.normalization == Normalization(method: .minmax, shift: [1, 7], scale: [3, 1]))
        #expect(minmax.training.inputs.storage == [0, 0, 1.0 / 3, 0, 2.0 / 3, 0, 1, 0])
    }

    /// Statistics come from the training part only and are applied unchanged to the test part.
    @Test func testFileUsesTrainingStatisticsAndClasses() throws {
        let scratch = try DataScratch()
        try scratch.write("train.csv", "x,y\n0,b\n10,a\n")
        try scratch.write("test.csv", "y,x\na,20\nb,5\n")
        let data = try scratch.load("type: csv\npath: train.csv\nnormalize: minmax\ntest: test.csv")
        #expect(data.normalization == Normalization(method: .minmax, shift: [0], scale: [10]))
        let test = try #require(data.test)
        #expect(test.inputs.storage == [2, 0.5])
        #expect(test.targets.nested == [[1, 0], [0, 1]])
        #expect(data.task.classNames == ["a", "b"])
    }

    /// RFC 4180 quoting, CRLF, a byte-order mark, blank lines, spaces around cells, `;`.
    @Test func quotingAndLineEndings() throws {
        let scratch = try DataScratch()
        try scratch.write("q.csv", "\u{FEFF}x;\"y \"\"label\"\"\"\r\n 1.5 ;\"a;b\"\r\n\r\n-2e1;\"multi\nline\"\r\n3;  \"a;b\"  \r\n")
        let data = try scratch.load("type: csv\npath: q.csv\ndelimiter: ';'\nlabel: 'y \"label\"'")
        #expect(data.training.inputs.storage == [1.5, -20, 3])
        #expect(data.task.classNames == ["a;b", "multi\nline"])
        #expect(data.training.targets.nested == [[1, 0], [0, 1], [1, 0]])
    }

    @Test func headerlessFileWithLabelByIndexAndTabs() throws {
        let scratch = try DataScratch()
        try scratch.write("h.tsv", "cat\t1\t2\ndog\t3\t4\n")
        let data = try scratch.load("type: csv\npath: h.tsv\nheader: false\ndelimiter: tab\nlabel: 0")
        #expect(data.training.inputs.nested == [[1, 2], [3, 4]])
        #expect(data.featureNames == ["column 1", "column 2"])
        #expect(data.task.classNames == ["cat", "dog"])
    }

    /// Classes are sorted, numerically when all are numbers, whatever order the rows come in.
    @Test func classesAreSorted() throws {
        let scratch = try DataScratch()
        try scratch.write("n.csv", "x,k\n1,10\n2,2\n3,1\n4,2\n")
        let numeric = try scratch.load("type: csv\npath: n.csv")
        #expect(numeric.task.classNames == ["1", "2", "10"])
        #expect(numeric.training.targets.nested == [[0, 0, 1], [0, 1, 0], [1, 0, 0], [0, 1, 0]])
        try scratch.write("w.csv", "x,k\n1,pear\n2,apple\n3,fig\n")
        #expect(try scratch.load("type: csv\npath: w.csv").task.classNames == ["apple", "fig", "pear"])
    }

    @Test func missingValuesDroppedOrFilledWithTheTrainingMean() throws {
        let scratch = try DataScratch()
        try scratch.write("m.csv", "a,b,k\n1,10,x\n,20,y\n3,NA,x\n5,40,y\n")
        let dropped = try scratch.load("type: csv\npath: m.csv\nmissing: drop_row")
        #expect(dropped.training.inputs.nested == [[1, 10], [5, 40]])
        let filled = try scratch.load("type: csv\npath: m.csv\nmissing: mean")
        #expect(filled.training.inputs.nested == [[1, 10], [3, 20], [3, 70.0 / 3], [5, 40]])
    }

    @Test func regressionWithTargetColumnsAndChosenFeatures() throws {
        let scratch = try DataScratch()
        try scratch.write("r.csv", "id,x1,x2,y1,y2\n7,1,2,0.5,1.5\n8,3,4,2.5,3.5\n")
        let data = try scratch.load("type: csv\npath: r.csv\ntask: regression\ntargets: [y1, 4]\nfeatures: [x2, x1]")
        #expect(data.task == .regression)
        #expect(data.training.inputs.nested == [[2, 1], [4, 3]])
        #expect(data.training.targets.nested == [[0.5, 1.5], [2.5, 3.5]])
        #expect(data.featureNames == ["x2", "x1"])
    }

    /// pandas' `to_csv()` writes the row index as a first column with no name; a trailing comma
    /// makes an unnamed empty column. Neither is a feature unless `features` lists it.
    @Test func unnamedColumnsAreNotDefaultFeatures() throws {
        let scratch = try DataScratch()
        try scratch.write("p.csv", ",x,k,\n0,1.5,a,\n1,2.5,b,\n")
        let data = try scratch.load("type: csv\npath: p.csv\nlabel: k")
        #expect(data.featureNames == ["x"])
        #expect(data.training.inputs.storage == [1.5, 2.5])
        let listed = try scratch.load("type: csv\npath: p.csv\nlabel: k\nfeatures: [0, x]")
        #expect(listed.training.inputs.nested == [[0, 1.5], [1, 2.5]])
    }

    @Test func gzipCompressedCSV() throws {
        let scratch = try DataScratch()
        try scratch.write("g.csv.gz", bytes: try GzipInflater.compress(Array("a,b,k\n1,2,x\n3,4,y\n".utf8)))
        let data = try scratch.load("type: csv\npath: g.csv.gz")
        #expect(data.training.inputs.nested == [[1, 2], [3, 4]])
    }

    /// Records that straddle the reader's chunks parse the same as in one chunk.
    @Test func recordsAcrossChunkBoundaries() throws {
        let scratch = try DataScratch()
        var text = "x,y,k\r\n"
        for i in 0..<500 { text += "\(i),\"\(i)\"\"\",\(i % 3)\r\n" }
        let path = try scratch.write("c.csv", text)
        let reader = CSVReader(file: try DataFile(path: path), delimiter: UInt8(ascii: ","), chunkSize: 7)
        #expect(try reader.next())
        var rows = 0
        while try reader.next() {
            #expect(reader.text(1) == "\(rows)\"")
            #expect(reader.line == rows + 2)
            rows += 1
        }
        #expect(rows == 500)
    }
}
