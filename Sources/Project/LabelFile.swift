import CSV
import Foundation
import PlanktermCore

/// One labelled row of a label file.
public struct LabelRecord: Sendable, Equatable {
    /// 1-based data row (the header and EcoTaxa's type row not counted).
    public var row: Int
    /// The image path as written in the file.
    public var path: String
    /// nil or empty: the row names an image without a label.
    public var className: String?
    public var status: LabelStatus
    public var annotator: String?
    public var time: Date?
    /// A model's probability for the label, if the file gives one.
    public var confidence: Double? = nil
    /// The row's other non-empty columns (sample, station, depth…), by header name: kept as image
    /// metadata, e.g. for `plankterm abundance --by COLUMN`.
    public var fields: [String: String] = [:]
}

/// Which columns of a label file to read; nil means "find it by its name".
public struct LabelColumns: Sendable, Equatable {
    public var path: String?
    public var label: String?
    public var status: String?
    public var annotator: String?
    public var time: String?

    public init(
        path: String? = nil, label: String? = nil, status: String? = nil, annotator: String? = nil,
        time: String? = nil
    ) {
        self.path = path
        self.label = label
        self.status = status
        self.annotator = annotator
        self.time = time
    }
}

/// A parsed label file: a CSV (comma, semicolon or tab) with a header, or an EcoTaxa TSV.
public struct LabelFile: Sendable {
    public enum Kind: String, Sendable { case csv, ecotaxa }

    public var path: String
    public var kind: Kind
    public var records: [LabelRecord]
    /// The header names of the columns used, for messages.
    public var pathColumn: String
    public var labelColumn: String

    static let pathNames = [
        "path", "file", "filename", "file_name", "image", "img", "img_file_name", "image_path",
        "filepath", "file_path", "relpath", "png", "jpg", "jpeg"
    ]
    static let labelNames = [
        "label", "class", "category", "taxon", "species", "annotation", "class_name",
        "classname", "taxa", "object_annotation_category"
    ]
    static let statusNames = ["status", "label_status", "object_annotation_status"]
    static let annotatorNames = ["annotator", "annotated_by", "person", "user", "object_annotation_person_name"]
    static let timeNames = ["time", "timestamp", "datetime", "annotated_at", "date"]
    static let confidenceNames = ["confidence", "probability", "score", "object_annotation_probability"]

    /// Reads the label file at `path`.
    public static func read(path: String, columns: LabelColumns = LabelColumns()) throws(ProjectError) -> LabelFile {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw .labelFileUnreadable(path: path, reason: "it is a folder, not a file")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .labelFileUnreadable(path: path, reason: ErrorText.describe(error))
        }
        return try parse(data, path: path, columns: columns)
    }

    /// Parses the bytes of a label file; `path` names it in messages and anchors its relative paths.
    public static func parse(_ data: Data, path: String, columns: LabelColumns = LabelColumns()) throws(ProjectError)
        -> LabelFile
    {
        let rows = try readRows(decodeText(data, path: path), path: path)
        if let reason = rows.first.flatMap(runawayField) {
            throw .labelFileUnreadable(path: path, reason: "the header: " + reason)
        }
        guard let headerRow = rows.first else {
            throw .labelFileUnreadable(path: path, reason: "the file has no header row")
        }
        let header = LabelHeader(headerRow, path: path)
        var body = Array(rows.dropFirst())
        if let types = body.first, isEcoTaxaTypeRow(types) { body.removeFirst() }
        let layout = try LabelColumnLayout(header: header, body: body, columns: columns)

        var records: [LabelRecord] = []
        records.reserveCapacity(body.count)
        for (offset, fields) in body.enumerated() {
            if let record = try layout.record(fields, row: offset + 1) { records.append(record) }
        }
        return LabelFile(
            path: path, kind: header.isEcoTaxa ? .ecotaxa : .csv, records: records,
            pathColumn: header.names[layout.pathIndex], labelColumn: header.names[layout.labelIndex])
    }

    /// The file's text, without a byte-order mark.
    private static func decodeText(_ data: Data, path: String) throws(ProjectError) -> String {
        do {
            guard let decoded = String(data: data, encoding: .utf8) else {
                throw ProjectError.labelFileUnreadable(path: path, reason: "not UTF-8 text")
            }
            return decoded.hasPrefix("\u{FEFF}") ? String(decoded.dropFirst()) : decoded
        } catch let error as ProjectError {
            throw error
        } catch {
            throw .labelFileUnreadable(path: path, reason: ErrorText.describe(error))
        }
    }

    /// Splits `text` into rows of untrimmed fields, with the delimiter its first line uses.
    private static func readRows(_ text: String, path: String) throws(ProjectError) -> [[String]] {
        let firstLine = text.prefix(while: { $0 != "\n" && $0 != "\r\n" })
        guard !firstLine.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw .labelFileUnreadable(path: path, reason: "the file is empty or has no header row")
        }
        do {
            let reader = try CSVReader(
                string: text, hasHeaderRow: false, trimFields: false,
                delimiter: delimiter(ofHeaderLine: firstLine))
            var all: [[String]] = []
            while let row = reader.next() { all.append(row) }
            if let error = reader.error { throw error }
            return all
        } catch {
            throw .labelFileUnreadable(path: path, reason: "malformed CSV (\(ErrorText.describe(error)))")
        }
    }

    /// Tab if the header has tabs and no more commas than tabs; else semicolon if it has more of
    /// those than commas; else comma.
    private static func delimiter(ofHeaderLine line: Substring) -> UnicodeScalar {
        let tabs = line.filter { $0 == "\t" }.count
        let commas = line.filter { $0 == "," }.count
        let semicolons = line.filter { $0 == ";" }.count
        return tabs > 0 && tabs >= commas ? "\t" : (semicolons > commas ? ";" : ",")
    }

    /// Why `fields` cannot be a row as written, or nil. No path or class name holds a line break: a field
    /// that does is a quote that was never closed and swallowed the rows after it.
    fileprivate static func runawayField(_ fields: [String]) -> String? {
        let lines = fields.map { $0.filter(\.isNewline).count }.max() ?? 0
        return lines == 0 ? nil : "a quoted field runs over \(lines + 1) lines: a quote (\") that is never closed?"
    }

    /// EcoTaxa's second row gives column types: [t] text, [f] float.
    private static func isEcoTaxaTypeRow(_ row: [String]) -> Bool {
        let types = row.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        return types.contains(where: { ["[t]", "[f]"].contains($0) })
            && types.allSatisfy({ ["[t]", "[f]", ""].contains($0) })
    }
}

/// The header row of a label file, and how its columns are found.
private struct LabelHeader {
    /// The header names, trimmed.
    let names: [String]
    /// `names`, lowercased: columns are matched case-insensitively.
    let lower: [String]
    /// The label file, for messages.
    let path: String
    /// An EcoTaxa TSV names its image column `img_file_name`.
    let isEcoTaxa: Bool

    init(_ row: [String], path: String) {
        names = row.map { $0.trimmingCharacters(in: .whitespaces) }
        lower = names.map { $0.lowercased() }
        self.path = path
        isEcoTaxa = lower.contains("img_file_name")
    }

    /// The column named `given`, which must exist; else the first of `candidates` that the header has, which
    /// must exist if `required`.
    func column(_ given: String?, _ candidates: [String], what: String, required: Bool) throws(ProjectError) -> Int? {
        if let given {
            guard let i = lower.firstIndex(of: given.lowercased()) else {
                throw .labelColumnMissing(path: path, what: "'\(given)'", header: names)
            }
            return i
        }
        for name in candidates { if let i = lower.firstIndex(of: name) { return i } }
        if required { throw .labelColumnMissing(path: path, what: what, header: names) }
        return nil
    }

    /// The image path column: the one `given` or found by name, else the first column whose first value
    /// looks like an image file.
    func pathColumn(_ given: String?, body: [[String]]) throws(ProjectError) -> Int {
        if let i = try column(
            given, isEcoTaxa ? ["img_file_name"] : LabelFile.pathNames, what: "path",
            required: false)
        {
            return i
        }
        let sample = body.first(where: { !$0.allSatisfy(\.isEmpty) }) ?? []
        // Only a column the header names: a data row may be longer than the header.
        let sniffed = sample.prefix(names.count).firstIndex { value in
            let ext = (value as NSString).pathExtension.lowercased()
            return ["png", "jpg", "jpeg"].contains(ext)
        }
        guard let sniffed else { throw .labelColumnMissing(path: path, what: "path", header: names) }
        return sniffed
    }
}

/// Which column of a label file holds what, and how a data row becomes a `LabelRecord`.
private struct LabelColumnLayout {
    let header: LabelHeader
    let pathIndex: Int
    let labelIndex: Int
    let statusIndex: Int?
    let annotatorIndex: Int?
    let timeIndex: Int?
    let confidenceIndex: Int?
    /// EcoTaxa's separate annotation date and time columns.
    let ecoDate: Int?
    let ecoTime: Int?
    /// The columns kept as a record's `fields`.
    let extra: [Int]

    /// Columns that plankterm's own exports add and that are not metadata.
    static let notMetadata: Set<String> = [
        "hash", "probability", "original_path", "orig", "png_mode",
        "source_path", "source_id", "width", "height"
    ]

    init(header: LabelHeader, body: [[String]], columns: LabelColumns) throws(ProjectError) {
        let isEcoTaxa = header.isEcoTaxa
        self.header = header
        pathIndex = try header.pathColumn(columns.path, body: body)
        labelIndex = try header.column(
            columns.label, isEcoTaxa ? ["object_annotation_category"] : LabelFile.labelNames,
            what: "label", required: true)!
        statusIndex = try header.column(columns.status, LabelFile.statusNames, what: "status", required: false)
        annotatorIndex = try header.column(
            columns.annotator, LabelFile.annotatorNames, what: "annotator",
            required: false)
        timeIndex =
            isEcoTaxa ? nil : try header.column(columns.time, LabelFile.timeNames, what: "time", required: false)
        confidenceIndex = try header.column(nil, LabelFile.confidenceNames, what: "confidence", required: false)
        ecoDate = isEcoTaxa ? header.lower.firstIndex(of: "object_annotation_date") : nil
        ecoTime = isEcoTaxa ? header.lower.firstIndex(of: "object_annotation_time") : nil
        let used = Set(
            [pathIndex, labelIndex, statusIndex, annotatorIndex, timeIndex, confidenceIndex, ecoDate, ecoTime]
                .compactMap { $0 })
        let lower = header.lower
        extra = header.names.indices.filter {
            !used.contains($0) && !header.names[$0].isEmpty && !Self.notMetadata.contains(lower[$0])
                && !LabelFile.confidenceNames.contains(lower[$0]) && !LabelFile.pathNames.contains(lower[$0])
        }
    }

    /// The record of data row `row` (1-based), or nil if the row is blank.
    func record(_ fields: [String], row: Int) throws(ProjectError) -> LabelRecord? {
        let path = header.path
        if let reason = LabelFile.runawayField(fields) { throw .labelRow(path: path, row: row, reason: reason) }
        if fields.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { return nil }
        let field = RowFields(fields: fields)
        guard let imagePath = field[pathIndex] else {
            throw .labelRow(path: path, row: row, reason: "no image path in column '\(header.names[pathIndex])'")
        }
        let className = field[labelIndex]
        let status = try self.status(field, row: row)
        let time = try self.time(field, row: row)
        var confidence: Double? = nil
        if let raw = field[confidenceIndex] {
            guard let value = Double(raw), (0...1).contains(value) else {
                throw .labelRow(
                    path: path, row: row, reason: "confidence \(raw.debugDescription) is not between 0 and 1")
            }
            confidence = value
        }
        var extraFields: [String: String] = [:]
        for i in extra { if let value = field[i] { extraFields[header.names[i]] = value } }
        return LabelRecord(
            row: row, path: imagePath, className: className, status: status,
            annotator: field[annotatorIndex], time: time, confidence: confidence, fields: extraFields)
    }

    /// The row's status; validated if the file gives none, except that in EcoTaxa a category without a
    /// status is an unchecked prediction.
    private func status(_ field: RowFields, row: Int) throws(ProjectError) -> LabelStatus {
        if let raw = field[statusIndex] {
            guard let parsed = LabelStatus(lenient: raw) else {
                throw .labelRow(
                    path: header.path, row: row,
                    reason: "status \(raw.debugDescription) is not validated, predicted or dubious")
            }
            return parsed
        }
        return header.isEcoTaxa && statusIndex != nil ? .predicted : .validated
    }

    /// The row's time: from the time column, else from EcoTaxa's date and time columns, else nil.
    private func time(_ field: RowFields, row: Int) throws(ProjectError) -> Date? {
        if let raw = field[timeIndex] {
            guard let parsed = Timestamps.parse(raw) else {
                throw .labelRow(path: header.path, row: row, reason: "time \(raw.debugDescription) is not a date")
            }
            return parsed
        }
        if let date = field[ecoDate] {
            guard let parsed = Timestamps.parseEcoTaxa(date: date, time: field[ecoTime]) else {
                throw .labelRow(path: header.path, row: row, reason: "date \(date.debugDescription) is not YYYYMMDD")
            }
            return parsed
        }
        return nil
    }
}

/// The fields of one data row, looked up by column: trimmed, and nil when empty or absent.
private struct RowFields {
    let fields: [String]

    subscript(_ i: Int?) -> String? {
        guard let i, i < fields.count else { return nil }
        let v = fields[i].trimmingCharacters(in: .whitespaces)
        return v.isEmpty ? nil : v
    }
}

/// The date formats of label files.
public enum Timestamps {
    /// ISO 8601 with fractional seconds, UTC: how plankterm writes times.
    public static func iso(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }

    /// Parses ISO 8601 (with or without fractional seconds or zone) and `YYYY-MM-DD HH:MM:SS`.
    public static func parse(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: text) { return d }
        let plain = DateFormatter()
        plain.locale = Locale(identifier: "en_US_POSIX")
        plain.timeZone = TimeZone(identifier: "UTC")
        for format in ["yyyy-MM-dd HH:mm:ss.SSS", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd"] {
            plain.dateFormat = format
            if let d = plain.date(from: text) { return d }
        }
        return nil
    }

    /// EcoTaxa's `object_annotation_date` (YYYYMMDD) and `object_annotation_time` (HHMMSS), UTC.
    public static func parseEcoTaxa(date: String, time: String?) -> Date? {
        let plain = DateFormatter()
        plain.locale = Locale(identifier: "en_US_POSIX")
        plain.timeZone = TimeZone(identifier: "UTC")
        plain.dateFormat = "yyyyMMddHHmmss"
        let t = (time ?? "000000").filter(\.isNumber)
        let padded = String(repeating: "0", count: max(0, 6 - t.count)) + t
        return plain.date(from: date.filter(\.isNumber) + padded)
    }

    /// EcoTaxa's date and time columns for `date`, UTC.
    public static func ecoTaxa(_ date: Date) -> (date: String, time: String) {
        let plain = DateFormatter()
        plain.locale = Locale(identifier: "en_US_POSIX")
        plain.timeZone = TimeZone(identifier: "UTC")
        plain.dateFormat = "yyyyMMdd"
        let d = plain.string(from: date)
        plain.dateFormat = "HHmmss"
        return (d, plain.string(from: date))
    }
}
