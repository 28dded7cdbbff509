import Foundation
import ZIPFoundation

/// Report tables as an Excel workbook (.xlsx, Office Open XML SpreadsheetML): one sheet per table,
/// counts and rates as numbers (rates formatted as percentages), text as inline strings. The package is
/// zipped by ZIPFoundation; the XML parts are the smallest set Excel, LibreOffice and openpyxl open.
enum Workbook {
    static let contentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    static func xlsx(_ tables: [ReportTable]) throws -> Data {
        let archive = try Archive(accessMode: .create)
        func add(_ path: String, _ text: String) throws {
            let data = Data(text.utf8)
            try archive.addEntry(
                with: path,
                type: .file,
                uncompressedSize: Int64(data.count),
                modificationDate: Date(timeIntervalSince1970: 1_767_225_600),
                compressionMethod: .deflate
            ) { position, size in data.subdata(in: Int(position)..<Int(position) + size) }
        }
        let sheets = tables.enumerated().map { (i, t) in (index: i + 1, name: sheetName(t.title, i + 1), table: t) }
        try add(
            "[Content_Types].xml",
            xml(
                """
                <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
                <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
                <Default Extension="xml" ContentType="application/xml"/>\
                <Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
                <Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
                \(sheets.map { "<Override PartName=\"/xl/worksheets/sheet\($0.index).xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>" }.joined())\
                </Types>
                """
            )
        )
        try add(
            "_rels/.rels",
            xml(
                """
                <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
                <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>\
                </Relationships>
                """
            )
        )
        try add(
            "xl/workbook.xml",
            xml(
                """
                <workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
                <sheets>\(sheets.map { "<sheet name=\"\(escape($0.name))\" sheetId=\"\($0.index)\" r:id=\"rId\($0.index)\"/>" }.joined())</sheets>\
                </workbook>
                """
            )
        )
        try add(
            "xl/_rels/workbook.xml.rels",
            xml(
                """
                <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
                \(sheets.map { "<Relationship Id=\"rId\($0.index)\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet\($0.index).xml\"/>" }.joined())\
                <Relationship Id="rId\(sheets.count + 1)" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>\
                </Relationships>
                """
            )
        )
        // Style 0 is the default, 1 a percentage with one decimal, 2 a figure with one decimal, 3 bold (the header).
        try add(
            "xl/styles.xml",
            xml(
                """
                <styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
                <numFmts count="2"><numFmt numFmtId="164" formatCode="0.0%"/><numFmt numFmtId="165" formatCode="0.0"/></numFmts>\
                <fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>\
                <fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>\
                <borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
                <cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
                <cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
                <xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
                <xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
                <xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>\
                <cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>\
                </styleSheet>
                """
            )
        )
        for sheet in sheets { try add("xl/worksheets/sheet\(sheet.index).xml", worksheet(sheet.table)) }
        guard let data = archive.data else { throw CocoaError(.fileWriteUnknown) }
        return data
    }

    static func worksheet(_ t: ReportTable) -> String {
        var out = "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>"
        func row(_ n: Int, _ cells: [ReportTable.Cell], header: Bool) {
            out += "<row r=\"\(n)\">"
            for (i, cell) in cells.enumerated() {
                let ref = column(i) + String(n)
                switch cell {
                case .count(let v): out += "<c r=\"\(ref)\"><v>\(v)</v></c>"
                case .figure(let v): out += "<c r=\"\(ref)\" s=\"2\"><v>\(v)</v></c>"
                case .rate(let r?): out += "<c r=\"\(ref)\" s=\"1\"><v>\(r)</v></c>"
                default:
                    let text = cell == .rate(nil) ? "" : cell.shown
                    out += "<c r=\"\(ref)\" t=\"inlineStr\"\(header ? " s=\"3\"" : "")><is><t>\(escape(text))</t></is></c>"
                }
            }
            out += "</row>"
        }
        row(1, t.columns.map { .text($0) }, header: true)
        for (i, r) in t.rows.enumerated() { row(i + 2, r.cells, header: false) }
        if let note = t.note { row(t.rows.count + 3, [.text(note)], header: false) }
        return xml(out + "</sheetData></worksheet>")
    }

    /// A1-style column letters: 0 → A, 25 → Z, 26 → AA.
    static func column(_ i: Int) -> String {
        var n = i + 1
        var s = ""
        while n > 0 {
            let r = (n - 1) % 26
            s = String(UnicodeScalar(UInt8(65 + r))) + s
            n = (n - 1) / 26
        }
        return s
    }

    /// Excel's sheet names: at most 31 characters, none of []:*?/\, unique (the index keeps them so).
    static func sheetName(_ title: String, _ index: Int) -> String {
        let clean = String(title.filter { !"[]:*?/\\".contains($0) }.prefix(26))
        return clean.isEmpty ? "Sheet\(index)" : "\(index) \(clean)"
    }

    static func xml(_ body: String) -> String { "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n" + body }

    /// XML text: the page's escapes (valid XML too), with the characters XML 1.0 cannot hold dropped.
    static func escape(_ s: String) -> String {
        Markup.escape(String(String.UnicodeScalarView(s.unicodeScalars.filter { $0.value >= 0x20 || $0 == "\t" || $0 == "\n" || $0 == "\r" })))
    }
}
