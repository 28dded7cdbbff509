/// A Duration as the numbers SQL intervals, timeouts and reports take.
extension Duration {
    /// In seconds, with the fraction.
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
    /// In whole milliseconds.
    public var inMilliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
