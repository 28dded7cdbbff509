import Foundation
import Testing

@testable import GridcareServer

#if canImport(Glibc)
import Glibc
#endif

/// The delivery worker's lane: work preferring it runs on its one thread, and only that thread is
/// lowered in priority, so the API's threads keep theirs.
@Suite struct BackgroundLaneTests {
    static func niceness() -> Int32 { getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) }

    @Test func tasksPreferringTheLaneRunOnItsLoweredThreadAndChildTasksFollow() async throws {
        let lane = BackgroundLane(niceness: 7)
        let outside = Self.niceness()
        let (onLane, nice, childOnLane) = await withTaskExecutorPreference(lane) {
            // Across a suspension, too: the task comes back to the lane.
            try? await Task.sleep(for: .milliseconds(5))
            let child = await withTaskGroup(of: Bool.self) { group in
                group.addTask { lane.isCurrent }
                return await group.next() ?? false
            }
            return (lane.isCurrent, Self.niceness(), child)
        }
        #expect(onLane)
        #expect(childOnLane)
        #expect(nice == outside + 7)
        #expect(!lane.isCurrent)
        #expect(Self.niceness() == outside)
        try await lane.shutdown()
    }
}
