import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// `sg-sim start --state DIR`: the simulated Safeguard appliance and CyberArk Identity tenant.
struct SGSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sg-sim",
        abstract: "A simulated Safeguard appliance and CyberArk Identity tenant for demos and tests.",
        version: "sg-sim \(simVersion)",
        subcommands: [Start.self])
}

struct Start: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the simulator in the foreground until SIGTERM/SIGINT.")

    @Option(help: "State folder (created 0700): PKI, keys, config.yaml, ready.json.") var state: String
    @Option(help: "Safeguard HTTPS port (0: ephemeral).") var port: Int = 0
    @Option(name: .customLong("identity-port"), help: "CyberArk Identity HTTPS port (0: ephemeral).") var identityPort: Int = 0
    @Option(name: .customLong("admin-port"), help: "Admin HTTP port (0: ephemeral).") var adminPort: Int = 0
    @Flag(name: .customLong("tls12-only"), help: "Cap TLS at 1.2.") var tls12Only = false

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        let dir = URL(fileURLWithPath: state).standardizedFileURL
        let fm = FileManager.default
        try fm.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        chmod(dir.path, 0o700)
        try? fm.removeItem(at: dir.appendingPathComponent("ready.json"))

        let pki = PKI(dir: dir)
        try pki.ensure()
        let app = SimApp(dir: dir, pki: pki, catalogue: try Catalogue.loadOrCreate(in: dir))

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let tls = try HTTPServer.tlsContext(pki: pki, tls12Only: tls12Only)
        let identity = try HTTPServer.start(group: group, port: identityPort, tls: tls, listener: .identity, app: app)
        app.identityPort = identity.localAddress?.port ?? identityPort
        let main = try HTTPServer.start(group: group, port: port, tls: tls, listener: .safeguard, app: app)
        let admin = try HTTPServer.start(group: group, port: adminPort, tls: nil, listener: .admin, app: app)
        let files = StateFiles(app: app, port: main.localAddress?.port ?? port, identityPort: app.identityPort,
                               adminPort: admin.localAddress?.port ?? adminPort)
        try files.writeAll()
        FileHandle.standardError.write(Data(
            "sg-sim: safeguard https://127.0.0.1:\(files.port) identity https://127.0.0.1:\(files.identityPort) admin http://127.0.0.1:\(files.adminPort) state \(dir.path)\n".utf8))

        let readyPath = dir.appendingPathComponent("ready.json").path
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .main)
            source.setEventHandler {
                unlink(readyPath)
                Foundation.exit(0)
            }
            source.resume()
            Start.sources.append(source)
        }
        dispatchMain()
    }

    nonisolated(unsafe) static var sources: [any DispatchSourceSignal] = []
}

SGSim.main()
