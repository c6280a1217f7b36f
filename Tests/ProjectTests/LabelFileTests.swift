import Foundation
import PlanktermCore
import Project
import TestSupport
import Testing

@Suite("Label files: CSV and EcoTaxa TSV")
struct LabelFileTests {
    func parse(_ text: String, name: String = "labels.csv", columns: LabelColumns = LabelColumns()) throws -> LabelFile
    {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write(Array(text.utf8), to: name)
        return try LabelFile.read(path: path, columns: columns)
    }

    @Test("path and label columns are found by name; quotes, BOM and CRLF are handled")
    func csvAutoDetect() throws {
        let file = try parse(
            "\u{FEFF}id,file_name,Class,status\r\n1,a/x.png,\"copepod, calanoid\",V\r\n2,b.png,diatom,\r\n")
        #expect(file.kind == .csv && file.pathColumn == "file_name" && file.labelColumn == "Class")
        #expect(file.records.map(\.path) == ["a/x.png", "b.png"])
        #expect(file.records.map(\.className) == ["copepod, calanoid", "diatom"])
        #expect(file.records.map(\.status) == [.validated, .validated])
    }

    @Test("with no known path column, the first column of image file names is taken")
    func pathByContent() throws {
        let file = try parse("png,orig,label\npng/a/1.png,orig/a/1.jpg,a\n")
        #expect(file.pathColumn == "png")
        let orig = try parse("png,orig,label\npng/a/1.png,orig/a/1.jpg,a\n", columns: LabelColumns(path: "orig"))
        #expect(orig.records[0].path == "orig/a/1.jpg")
        let unnamed = try parse("name,taxon\nimg_1.JPG,a\n")
        #expect(unnamed.pathColumn == "name" && unnamed.records[0].className == "a")
    }

    @Test("semicolon-separated files, statuses, annotators and times")
    func semicolons() throws {
        let file = try parse("path;label;status;annotator;time\nx.png;a;dubious;ana;2024-05-01T10:20:30Z\n")
        let r = try #require(file.records.first)
        #expect(r.status == .dubious && r.annotator == "ana")
        #expect(r.time == Date(timeIntervalSince1970: 1_714_558_830))
    }

    @Test("EcoTaxa TSV: the [t]/[f] type row is skipped, status, person, date and time are read")
    func ecoTaxa() throws {
        let tsv = """
            img_file_name\tobject_id\tobject_annotation_category\tobject_annotation_status\tobject_annotation_person_name\tobject_annotation_date\tobject_annotation_time\tobject_area
            [t]\t[t]\t[t]\t[t]\t[t]\t[t]\t[t]\t[f]
            s1/a.png\ta\tCopepoda<Maxillopoda\tvalidated\tJane Doe\t20240102\t030405\t12.5
            s1/b.png\tb\tdetritus\t\t\t\t\t3
            s1/c.png\tc\t\t\t\t\t\t1

            """
        let file = try parse(tsv, name: "ecotaxa_sample.tsv")
        #expect(file.kind == .ecotaxa)
        #expect(file.records.count == 3)
        let a = file.records[0]
        #expect(a.className == "Copepoda<Maxillopoda" && a.status == .validated && a.annotator == "Jane Doe")
        #expect(a.time == Date(timeIntervalSince1970: 1_704_164_645))
        #expect(file.records[1].status == .predicted)  // a category without a status is a prediction
        #expect(file.records[2].className == nil)
    }

    @Test("bad input names the file and the row")
    func errors() throws {
        #expect {
            try parse("path,label,status\nx.png,a,sure\n")
        } throws: { error in
            "\(error)".hasSuffix("labels.csv: row 1: status \"sure\" is not validated, predicted or dubious")
        }
        #expect { try parse("path,notes\nx.png,hello\n") } throws: { error in
            guard case .labelColumnMissing(_, let what, _) = error as? ProjectError else { return false }
            return what == "label"
        }
        #expect { try parse("path,label\nx.png,a\n", columns: LabelColumns(label: "taxon")) } throws: { error in
            "\(error)".contains("no 'taxon' column")
        }
        #expect { try parse("") } throws: { error in "\(error)".contains("empty") }
        #expect { try parse("path,label\n,a\n") } throws: { error in "\(error)".contains("row 1: no image path") }
        #expect { try parse("path,label,time\nx.png,a,yesterday\n") } throws: { error in "\(error)".contains("row 1") }
    }
}

@Suite("Safe folder names for classes")
struct SafeNameTests {
    static let hostile = [
        "../x", "..", ".", "/", "a/b", "a\\b", "nul\u{0}byte", "bell\u{07}\u{1B}[31m", "", "   ",
        String(repeating: "long", count: 100), String(repeating: "é", count: 200), "Copepod",
        "copepod", "COPEPOD", "a_b", "-rf", ".hidden", "ok name"
    ]

    @Test("no name escapes its folder or carries control characters")
    func safe() {
        for (name, safe) in SafeName.assign(Self.hostile) {
            #expect(!safe.isEmpty && safe != "." && safe != "..", "\(name.debugDescription) → \(safe)")
            #expect(!safe.contains("/") && !safe.contains("\\") && !safe.hasPrefix(".") && !safe.hasPrefix("-"))
            #expect(!safe.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
            #expect(safe.utf8.count <= SafeName.maxBytes)
        }
    }

    @Test("distinct names stay distinct, even ignoring case, and the mapping is stable")
    func distinct() {
        let map = SafeName.assign(Self.hostile)
        #expect(Set(map.values.map { $0.lowercased() }).count == Set(Self.hostile).count)
        #expect(SafeName.assign(Self.hostile.reversed()) == map)
        #expect(map["ok name"] == "ok name" && map["a_b"] == "a_b")
    }
}
