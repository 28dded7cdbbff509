import CQRencode
import Foundation

/// A QR code as SVG, encoded by libqrencode (error correction M: a door sticker survives some wear) and
/// drawn here as one path of unit squares with the four-module quiet zone the standard asks for.
enum QRCode {
    /// The code of `text`, or nil when libqrencode cannot encode it (too long for any version).
    static func svg(_ text: String, label: String) -> String? {
        guard let code = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1) else { return nil }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        let quiet = 4
        let size = width + 2 * quiet
        var path = ""
        path.reserveCapacity(width * width * 4)
        for y in 0..<width {
            for x in 0..<width where code.pointee.data[y * width + x] & 1 == 1 {
                path += "M\(x + quiet) \(y + quiet)h1v1h-1z"
            }
        }
        return "<svg class=\"qr\" viewBox=\"0 0 \(size) \(size)\" shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"\(Markup.escape(label))\">"
            + "<rect width=\"\(size)\" height=\"\(size)\" fill=\"#fff\"/><path fill=\"#000\" d=\"\(path)\"/></svg>"
    }
}
