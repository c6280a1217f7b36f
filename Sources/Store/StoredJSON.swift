import Foundation

/// The one JSON form of the values kept in the database's JSON columns (a model's parameters and
/// metrics): sorted keys, one line, a number that is not finite as the string "inf", "-inf" or "nan".
/// Every typed record is written and read here, so the stored text of a record is what every earlier
/// plankterm wrote for it (and `--json` output, which uses the same form through `json(_:)`).
public enum StoredJSON {
    /// `value` as stored.
    public static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Stored text read as `type`.
    public static func value<Value: Decodable>(_ type: Value.Type, from json: String) throws -> Value {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(type, from: Data(json.utf8))
    }

    /// A column's text as a record, or why it is not one (`StoreError.unreadableRecord`).
    static func record<Value: Decodable>(
        _ type: Value.Type, from json: String, model: String, column: String
    ) -> Result<Value, StoreError> {
        do {
            return .success(try value(type, from: json))
        } catch {
            return .failure(.unreadableRecord(model: model, column: column, reason: "\(error)"))
        }
    }

    /// `value` as stored, a failure to encode as a `StoreError`.
    static func text(_ value: some Encodable, model: String, column: String) throws(StoreError) -> String {
        do {
            return try json(value)
        } catch {
            throw .unreadableRecord(model: model, column: column, reason: "cannot be written as JSON: \(error)")
        }
    }
}
