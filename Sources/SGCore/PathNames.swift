import SystemPackage

/// The folder that holds `path`, by the name alone (swift-system's `FilePath`: repeated and
/// trailing slashes do not count): "." for a bare name, "/" for "/" and for a file at the root.
/// Nothing is resolved: `..` and symlinks are the kernel's business when the name is used.
///
///     parentFolder(of: "/home/me/.ssh/id_ed25519")   // "/home/me/.ssh"
///
/// `FilePath` normalizes the name; the parent of a normalized name is everything before its last
/// `/`. That is what `FilePath.removingLastComponent()` returns (PathNamesTests compares the
/// two), at a tenth of its cost: its generic component walk cost about 20,000 instructions a
/// call, and config loading walks every folder above the file (docs/secret-service-startup.md).
public func parentFolder(of path: String) -> String {
    let name = FilePath(path).string
    guard let slash = name.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "." }
    if slash == name.utf8.startIndex { return "/" }
    return String(name[..<slash])
}

/// The last name in `path` ("sg-token" for "/usr/bin/sg-token"); `path` itself when it has none.
///
///     lastPathComponent(of: CommandLine.arguments[0])
public func lastPathComponent(of path: String) -> String {
    FilePath(path).lastComponent?.string ?? path
}
