// swift-tools-version:6.0
//
// sg: credential providers for ops tooling. Layering (see README "Layout"):
//   C shims  <  SGCore  <  SGTransport  <  SGSafeguard / SGIdentity  <  SGResolver  <  SGTools  <  executables
//   SGKeyring and SGSSH sit beside SGTransport; only SGTransport touches libcurl, only SGCrypto
//   libcrypto (COpenSSL), and SGTransport, SGSafeguard, SGKeyring and SGSSH use SGCrypto's owners.
//   SGResolver turns references into secrets; SGTools holds what the tools do with them (sg-exec's
//   supervisor, the git helper, askpass, the ssh-key tool, sg-watch, sg-doctor). Neither links
//   ArgumentParser: git-credential-sg and sg-askpass link SGTools and must stay free of it.
// libcurl and libsecret are loaded with dlopen on first use (CCurlShim, CSecretShim), so the
// paths that need neither (an unmapped git host, a refused askpass prompt) do not pay for them.
// Any change to this file, to linker flags or to the C shims must pass scripts/check-symbols.
import Foundation
import PackageDescription

/// The include paths pkg-config gives for `packages`. CSecretShim compiles against libsecret's
/// and GLib's own headers but must not link them (it dlopens libsecret on first use), and a
/// `.systemLibrary(pkgConfig:)` target would add pkg-config's `-l` flags to every executable.
/// Without pkg-config or the -dev package the list is empty and secretshim.c's #error names it.
func pkgConfigIncludePaths(_ packages: [String]) -> [String] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["pkg-config", "--cflags-only-I"] + packages
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return [] }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { return [] }
    return String(decoding: data, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" })
        .map(String.init).filter { $0.hasPrefix("-I") }
}

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

/// Release links search link/ first, where libstdc++.so is a linker script that resolves the static
/// Swift runtime's `-lstdc++` to libstdc++.a: the tools need no libstdc++.so.6, which cost 1.7–2.2 M
/// instructions per process (docs/decisions.md "libstdc++ linked statically"). Debug and test
/// builds link the shared Swift runtime, whose libswiftCore.so needs libstdc++.so.6 itself, and no
/// `-lstdc++`; the setting is kept out of them so that no process can hold two copies.
let staticLibstdcxx: [LinkerSetting] = [
    .unsafeFlags(["-L", Context.packageDirectory + "/link"], .when(configuration: .release)),
]

let package = Package(
    name: "sg",
    products: [
        .executable(name: "git-credential-sg", targets: ["git-credential-sg"]),
        .executable(name: "sg-askpass", targets: ["sg-askpass"]),
        .executable(name: "sg-ssh-key", targets: ["sg-ssh-key"]),
        .executable(name: "sg-exec", targets: ["sg-exec"]),
        .executable(name: "sg-secret", targets: ["sg-secret"]),
        .executable(name: "sg-token", targets: ["sg-token"]),
        .executable(name: "sg-watch", targets: ["sg-watch"]),
        .executable(name: "sg-doctor", targets: ["sg-doctor"]),
        .executable(name: "docker-credential-sg", targets: ["docker-credential-sg"]),
        .executable(name: "sg-kube-credential", targets: ["sg-kube-credential"]),
        .executable(name: "sg-aws-credential", targets: ["sg-aws-credential"]),
        .executable(name: "sg-ansible-vault-client", targets: ["sg-ansible-vault-client"]),
        .executable(name: "sg-helpers", targets: ["sg-helpers"]),
        .executable(name: "sg-commands", targets: ["sg-commands"]),
        .executable(name: "sg-sim", targets: ["sg-sim"]),
        .executable(name: "sg-fuzz", targets: ["sg-fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
    ],
    targets: [
        // ---- C: system libraries and shims ------------------------------------------------
        .target(name: "COpenSSL", dependencies: ["CSGSys"], linkerSettings: [.linkedLibrary("dl"), .linkedLibrary("pthread")]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1",
                       providers: [.apt(["libyaml-dev"])]),
        .target(name: "CCurlShim", dependencies: ["CSGSys"], linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "CSecretShim", dependencies: ["CSGSys"],
                cSettings: [.unsafeFlags(pkgConfigIncludePaths(["libsecret-1", "glib-2.0"]))],
                linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "CSGSys"),

        // ---- Swift modules ------------------------------------------------------------------
        .target(name: "SGCore", dependencies: [
            "CSGSys", "CYAML",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "SystemPackage", package: "swift-system"),
        ], swiftSettings: strict, linkerSettings: staticLibstdcxx),
        // The one module that imports COpenSSL: owners of libcrypto's objects (docs/platform.md).
        .target(name: "SGCrypto", dependencies: ["SGCore", "COpenSSL"], swiftSettings: strict),
        .target(name: "SGTransport", dependencies: ["SGCore", "CCurlShim", "SGCrypto"], swiftSettings: strict),
        .target(name: "SGSafeguard", dependencies: ["SGCore", "SGTransport", "SGCrypto"], swiftSettings: strict),
        .target(name: "SGIdentity", dependencies: ["SGCore", "SGTransport"], swiftSettings: strict),
        .target(name: "SGKeyring", dependencies: ["SGCore", "CSecretShim", "SGCrypto"], swiftSettings: strict),
        .target(name: "SGSSH", dependencies: ["SGCore", "SGCrypto"], swiftSettings: strict),
        .target(name: "SGResolver", dependencies: [
            "SGCore", "SGTransport", "SGSafeguard", "SGIdentity", "SGKeyring",
        ], swiftSettings: strict),
        .target(name: "SGTools", dependencies: [
            "SGCore", "SGResolver", "SGTransport", "SGSafeguard", "SGKeyring", "SGSSH", "CSGSys",
        ], swiftSettings: strict),

        .target(name: "SGPlugins", dependencies: ["SGCore", "SGResolver", "SGKeyring"], swiftSettings: strict),

        // ---- the tools' entry points (docs/decisions.md "Installation and footprint") ----------
        // SGHelpers: the tools other programs run on every use; never swift-argument-parser.
        // SGCommand: the tools people type, on swift-argument-parser.
        .target(name: "SGHelpers", dependencies: ["SGCore", "SGResolver", "SGTools", "SGSSH", "SGPlugins"],
                swiftSettings: strict),
        .target(name: "SGCommand", dependencies: [
            "SGCore", "SGResolver", "SGTools", "SGSSH", "SGKeyring",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: strict),

        // ---- executables: one line each. The per-tool ones are what `swift build` users and the
        // tests run; the Debian package ships sg-helpers and sg-commands with the tool names as links.
        .executableTarget(name: "git-credential-sg", dependencies: ["SGCore", "SGHelpers"], swiftSettings: strict),
        .executableTarget(name: "sg-askpass", dependencies: ["SGCore", "SGHelpers"], swiftSettings: strict),
        .executableTarget(name: "docker-credential-sg", dependencies: ["SGPlugins"], swiftSettings: strict),
        .executableTarget(name: "sg-kube-credential", dependencies: ["SGPlugins"], swiftSettings: strict),
        .executableTarget(name: "sg-aws-credential", dependencies: ["SGPlugins"], swiftSettings: strict),
        .executableTarget(name: "sg-ansible-vault-client", dependencies: ["SGPlugins"], swiftSettings: strict),
        .executableTarget(name: "sg-helpers", dependencies: ["SGCore", "SGHelpers"], swiftSettings: strict),
        .executableTarget(name: "sg-ssh-key", dependencies: ["SGCore", "SGCommand"], swiftSettings: strict),
        .executableTarget(name: "sg-exec", dependencies: ["SGCore", "SGCommand"], swiftSettings: strict),
        .executableTarget(name: "sg-secret", dependencies: ["SGCore", "SGCommand"], swiftSettings: strict),
        .executableTarget(name: "sg-token", dependencies: ["SGCore", "SGCommand"], swiftSettings: strict),
        .executableTarget(name: "sg-watch", dependencies: ["SGCore", "SGCommand"], swiftSettings: strict),
        .executableTarget(name: "sg-doctor", dependencies: ["SGCore", "SGCommand"], swiftSettings: strict),
        .executableTarget(name: "sg-commands", dependencies: ["SGCore", "SGCommand"], swiftSettings: strict),
        .executableTarget(name: "sg-sim", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Fuzz entry points (scripts/fuzz builds it with ASan + coverage and links libFuzzer; the plain
        // build replays files through the same entry points, which FuzzRegressionTests use).
        .executableTarget(name: "sg-fuzz", dependencies: [
            "SGCore", "SGTransport", "SGSafeguard", "SGKeyring", "SGSSH", "SGResolver", "SGIdentity", "SGPlugins",
        ], swiftSettings: strict),

        // ---- tests ----------------------------------------------------------------------------
        .target(name: "SGTestSupport", dependencies: ["SGCore"], path: "Tests/SGTestSupport"),
        .testTarget(name: "SGCoreTests", dependencies: ["SGCore", "SGTestSupport", .product(name: "SystemPackage", package: "swift-system")]),
        .testTarget(name: "SGCryptoTests", dependencies: ["SGCrypto", "SGTestSupport"]),
        .testTarget(name: "SGTransportTests", dependencies: ["SGTransport", "SGTestSupport"]),
        .testTarget(name: "SGSafeguardTests", dependencies: ["SGSafeguard", "SGTestSupport"]),
        .testTarget(name: "SGIdentityTests", dependencies: ["SGIdentity", "SGTestSupport"]),
        .testTarget(name: "SGKeyringTests", dependencies: ["SGKeyring", "SGTestSupport"]),
        .testTarget(name: "SGSSHTests", dependencies: ["SGSSH", "SGTestSupport"]),
        .testTarget(name: "SGResolverTests", dependencies: ["SGResolver", "SGTestSupport"]),
        .testTarget(name: "SGToolsTests", dependencies: ["SGTools", "SGResolver", "SGTestSupport"]),
        .testTarget(name: "SGSimTests", dependencies: ["SGTestSupport"]),
        .testTarget(name: "SGCommandTests", dependencies: ["SGCommand"]),
        .testTarget(name: "SGPluginsTests", dependencies: ["SGPlugins", "SGTestSupport"]),
        .testTarget(name: "IntegrationTests", dependencies: ["SGTestSupport"]),
    ]
)
