import Foundation
import GridcareStore
import Synchronization

/// The dashboard's 3-hour mobilisation check of each district as the indicator clock last ran it. The
/// check reads every household's position and walks every micro-grid (about 2 s of a request on a
/// million-resident district), so a dashboard reads the clock's result while it is fresh, as it reads the
/// counts' rollup. Kept per service copy; it holds per-micro-grid aggregates only.
public final class MobilisationRollup: Sendable {
    private let checks = Mutex<[Int64: (at: Date, results: [MicroGridMobilisation])]>([:])

    public init() {}

    /// The district's last check and when it ran, when that is at most `maxAge` ago.
    func fresh(_ districtId: Int64, maxAge: Duration) -> (at: Date, results: [MicroGridMobilisation])? {
        checks.withLock { kept in
            guard let c = kept[districtId], Date().timeIntervalSince(c.at) <= Double(maxAge.components.seconds) else { return nil }
            return c
        }
    }

    func keep(_ districtId: Int64, _ results: [MicroGridMobilisation], at: Date = Date()) {
        checks.withLock { $0[districtId] = (at, results) }
    }
}
