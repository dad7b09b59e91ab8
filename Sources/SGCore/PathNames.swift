import SystemPackage

/// The folder that holds `path`, by the name alone (swift-system's `FilePath`: repeated and
/// trailing slashes do not count): "." for a bare name, "/" for "/" and for a file at the root.
/// Nothing is resolved: `..` and symlinks are the kernel's business when the name is used.
///
///     parentFolder(of: "/home/me/.ssh/id_ed25519")   // "/home/me/.ssh"
public func parentFolder(of path: String) -> String {
    let parent = FilePath(path).removingLastComponent().string
    return parent.isEmpty ? "." : parent
}

/// The last name in `path` ("sg-token" for "/usr/bin/sg-token"); `path` itself when it has none.
///
///     lastPathComponent(of: CommandLine.arguments[0])
public func lastPathComponent(of path: String) -> String {
    FilePath(path).lastComponent?.string ?? path
}
