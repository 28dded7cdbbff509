import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// A thread of its own, at a lower scheduling priority, for background work that must give way to the
/// API: its event loop carries the work's sockets and, as a task executor, the work's Swift tasks. On the
/// shared event loops and the shared task pool a delivery round took its turn between requests; here the
/// kernel runs a request first whenever both are ready.
public final class BackgroundLane: TaskExecutor {
    /// The lane's one event loop, for clients whose sockets should live on the lane (an HTTP client).
    public let group: MultiThreadedEventLoopGroup
    let loop: any EventLoop

    /// `niceness` is added to the thread's scheduling niceness (Linux's nice is per thread; 10 gives the
    /// thread about a tenth of the weight of one at 0 when both want the CPU).
    public init(niceness: Int32 = 10) {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        loop = group.next()
        #if canImport(Glibc)
        // Who 0 is the calling thread on Linux: only the lane's own thread is lowered.
        loop.execute { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness) }
        #endif
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// True on the lane's thread.
    public var isCurrent: Bool { loop.inEventLoop }

    public func shutdown() async throws { try await group.shutdownGracefully() }
}
