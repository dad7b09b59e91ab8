import Foundation

/// Where the tests find the package and the binaries it built.
///
/// `SG_BIN_DIR` wins (scripts/test sets it); otherwise `<package>/.build/debug`, found by walking
/// up from this file to the folder holding Package.swift.
public enum TestPaths {
    public static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
                return url
            }
            url = url.deletingLastPathComponent()
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    public static var binDir: URL {
        if let dir = ProcessInfo.processInfo.environment["SG_BIN_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        return packageRoot.appendingPathComponent(".build/debug")
    }

    /// A child process's output stream: a new empty file at `url` opened for writing, or the null
    /// device when there is no file to keep it in.
    public static func output(to url: URL?) throws -> FileHandle {
        guard let url else { return FileHandle.nullDevice }
        FileManager.default.createFile(atPath: url.path, contents: nil)
        return try FileHandle(forWritingTo: url)
    }

    /// The path of one of the package's executables, e.g. `binary("sg-sim")`.
    public static func binary(_ name: String) -> String {
        binDir.appendingPathComponent(name).path
    }

    /// A fresh private (0700) temporary folder under the package's `.sg-test`, removed by the caller.
    public static func makeTempDir(_ label: String) throws -> URL {
        let base = packageRoot.appendingPathComponent(".sg-test")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        var template = Array(base.appendingPathComponent("\(label)-XXXXXX").path.utf8CString)
        guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        return URL(fileURLWithPath: String(cString: made))
    }
}
