@preconcurrency import Glibc
import Foundation
import XCTest

/// The built `bp-pipeline` executable, run as a user would: arguments, a working folder, and
/// what comes back on stdout, stderr and as the exit status.
enum Binary {
    /// SwiftPM puts the test bundle and the executable in the same products folder
    /// (`.build/debug`); the EndToEndTests target depends on the executable so it is built first.
    static let url: URL? = {
        let manager = FileManager.default
        var folders = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            folders.append(bundle.bundleURL.deletingLastPathComponent())
        }
        return folders.map { $0.appendingPathComponent("bp-pipeline") }
            .first { manager.isExecutableFile(atPath: $0.path) }
    }()

    /// The test sources' Fixtures folder.
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    struct Result {
        var status: Int32
        /// True when the process ended by a signal (then `status` is the signal number).
        var signalled: Bool
        var stdout: String
        var stderr: String
    }

    /// Runs the executable (or `program`, e.g. a shell) in `folder`; a run still alive after
    /// `timeout` seconds is killed and reported as a hang.
    static func run(_ arguments: [String], in folder: URL, program: String? = nil, timeout: TimeInterval = 60,
                    environment: [String: String]? = nil,
                    whileRunning: ((Process) -> Void)? = nil) throws -> Result {
        let executable = try program.map { URL(fileURLWithPath: $0) } ?? XCTUnwrap(url, "bp-pipeline not found next to the test bundle")
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = folder
        if let environment { process.environment = environment }
        // Files, not pipes: a chatty child cannot fill a pipe and stall while we wait.
        let capture = FileManager.default.temporaryDirectory.appendingPathComponent("bp-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: capture, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: capture) }
        let outURL = capture.appendingPathComponent("stdout"), errURL = capture.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: outURL), errHandle = try FileHandle(forWritingTo: errURL)
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        whileRunning?(process)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        let hung = process.isRunning
        if hung { process.terminate(); process.waitUntilExit() }
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        XCTAssertFalse(hung, "bp-pipeline \(arguments.joined(separator: " ")) still ran after \(timeout) s")
        return Result(status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
                      stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                      stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }

    /// Runs Open MPI's `mpirun` in `folder` with one application context per element of
    /// `contexts` (each `(ranks, arguments of bp-pipeline)`, joined by ':' as Open MPI's MPMD
    /// syntax). As root it needs --allow-run-as-root; --oversubscribe lets more ranks than cores
    /// share 2 cores, and yielding while a rank waits in an exchange keeps them from spinning.
    static func mpirun(_ contexts: [(ranks: Int, arguments: [String])], in folder: URL, timeout: TimeInterval = 120,
                       whileRunning: ((Process) -> Void)? = nil) throws -> Result {
        let binary = try XCTUnwrap(url, "bp-pipeline not found next to the test bundle").path
        var words = ["--allow-run-as-root", "--oversubscribe", "-q", "--mca", "mpi_yield_when_idle", "1"]
        for (index, context) in contexts.enumerated() {
            if index > 0 { words.append(":") }
            words += ["-np", String(context.ranks), binary] + context.arguments
        }
        return try run(words, in: folder, program: "/usr/bin/mpirun", timeout: timeout, whileRunning: whileRunning)
    }

    /// The pids of the bp-pipeline ranks `mpirun` started, by rank (Open MPI starts local ranks as
    /// its own children, each with OMPI_COMM_WORLD_RANK in its environment).
    static func rankProcesses(of mpirun: Process, count: Int) -> [Int: pid_t] {
        var ranks: [Int: pid_t] = [:]
        let deadline = Date().addingTimeInterval(30)
        while ranks.count < count && Date() < deadline {
            let task = "/proc/\(mpirun.processIdentifier)/task/\(mpirun.processIdentifier)/children"
            let children = ((try? String(contentsOfFile: task, encoding: .utf8)) ?? "").split(separator: " ").compactMap { pid_t($0) }
            for child in children {
                guard let environ = FileManager.default.contents(atPath: "/proc/\(child)/environ") else { continue }
                for entry in environ.split(separator: 0) {
                    let text = String(decoding: entry, as: UTF8.self)
                    if text.hasPrefix("OMPI_COMM_WORLD_RANK="), let rank = Int(text.dropFirst("OMPI_COMM_WORLD_RANK=".count)) {
                        ranks[rank] = child
                    }
                }
            }
            usleep(10_000)
        }
        return ranks
    }

    /// Waits until the run's staging folder for `target` (relative to `folder`) exists, so
    /// training has started, lets it train for `seconds` more, then sends `signal`.
    static func signal(_ signal: Int32, to process: Process, into target: String, in folder: URL, after seconds: Double) {
        let slash = target.lastIndex(of: "/").map { target.index(after: $0) } ?? target.startIndex
        let staging = folder.appendingPathComponent(String(target[..<slash]) + "." + target[slash...] + ".partial-\(process.processIdentifier)")
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: staging.path) && process.isRunning && Date() < deadline { usleep(5_000) }
        usleep(UInt32(seconds * 1_000_000))
        kill(process.processIdentifier, signal)
    }

    /// A fresh temporary folder holding a copy of `Fixtures/<name>`.
    static func copyOfFixtures(_ name: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bp-e2e-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent(name), to: folder)
        return folder
    }

    /// Every path under `folder` (hidden ones too), relative, sorted: to prove a run left nothing behind.
    static func listing(_ folder: URL) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder.path) else { return [] }
        return enumerator.compactMap { $0 as? String }.sorted()
    }
}
