// sg-fuzz: libFuzzer entry points for sg's parsers of untrusted input.
//
//   sg-fuzz list                          the targets, one per line with what they reach
//   sg-fuzz TARGET [libFuzzer args]       fuzz (in the build scripts/fuzz makes: ASan + coverage
//                                         + libclang_rt.fuzzer_no_main, compiled with -DSG_LIBFUZZER)
//   sg-fuzz TARGET FILE|DIR...            replay inputs through the target (any build; the plain
//                                         debug build has no libFuzzer and only replays)
//   sg-fuzz replay TARGET FILE|DIR...     replay, also in the libFuzzer build
//
// See docs/reliability.md. SwiftPM owns `main`, so libFuzzer's driver is started from here with
// LLVMFuzzerRunDriver rather than with -sanitize=fuzzer (which brings a second main).
#if canImport(Glibc)
import Glibc
#endif

#if SG_LIBFUZZER
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32
#endif

nonisolated(unsafe) var selectedTarget: FuzzTarget? = nil

func errorOut(_ text: String) {
    var t = text
    t.withUTF8 { buf in _ = write(2, buf.baseAddress, buf.count) }
}

func usage() -> Never {
    let names = fuzzTargets.map(\.name).joined(separator: " ")
    errorOut("usage: sg-fuzz TARGET [libFuzzer args | FILE...] | sg-fuzz replay TARGET FILE... | sg-fuzz list\ntargets: \(names)\n")
    exit(64)
}

func target(named name: String) -> FuzzTarget {
    guard let t = fuzzTargets.first(where: { $0.name == name }) else {
        errorOut("sg-fuzz: unknown target '\(name)'\n")
        usage()
    }
    return t
}

/// Reads a whole file (nil if it is not a readable regular file).
func readFile(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(fd, &chunk, chunk.count)
        if n < 0 { if errno == EINTR { continue }; return nil }
        if n == 0 { break }
        out.append(contentsOf: chunk[0..<n])
    }
    return out
}

/// Regular files under `path` (itself if it is a file), sorted.
func inputFiles(_ path: String) -> [String] {
    var st = stat()
    guard stat(path, &st) == 0 else { return [] }
    if (st.st_mode & S_IFMT) != S_IFDIR { return [path] }
    guard let dir = opendir(path) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let e = readdir(dir) {
        let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name == "." || name == ".." || name.hasPrefix(".") { continue }
        names.append(name)
    }
    return names.sorted().flatMap { inputFiles(path + "/" + $0) }
}

/// Runs every file through the target; a crash ends the process (and names the file first).
func replay(_ t: FuzzTarget, _ paths: [String]) -> Int32 {
    var count = 0
    for p in paths {
        let files = inputFiles(p)
        if files.isEmpty { errorOut("sg-fuzz: \(p): no such file or folder\n"); return 66 }
        for f in files {
            guard let bytes = readFile(f) else { errorOut("sg-fuzz: cannot read \(f)\n"); return 66 }
            errorOut("sg-fuzz: \(t.name) \(f) (\(bytes.count) bytes)\n")
            bytes.withUnsafeBytes { t.run($0) }
            count += 1
        }
    }
    print("sg-fuzz: \(t.name): \(count) input(s) replayed, no crash")
    return 0
}

var args = CommandLine.arguments
guard args.count >= 2 else { usage() }
switch args[1] {
case "list":
    for t in fuzzTargets { print("\(t.name)\t\(t.summary)") }
    exit(0)
case "replay":
    guard args.count >= 4 else { usage() }
    exit(replay(target(named: args[2]), Array(args[3...])))
case "-h", "--help", "help":
    usage()
default:
    break
}

let chosen = target(named: args[1])
#if SG_LIBFUZZER
selectedTarget = chosen
// libFuzzer sees argv without TARGET: `sg-fuzz TARGET -max_total_time=10 corpus/` → `sg-fuzz -max_total_time=10 corpus/`.
var fuzzArgs = [args[0]] + args[2...]
var cArgs: [UnsafeMutablePointer<CChar>?] = fuzzArgs.map { strdup($0) } + [nil]
var argc = Int32(fuzzArgs.count)
let status = cArgs.withUnsafeMutableBufferPointer { buf -> Int32 in
    var argv = buf.baseAddress
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        let raw = UnsafeRawBufferPointer(start: data, count: size)
        selectedTarget!.run(raw)
        return 0
    }
}
exit(status)
#else
let paths = args[2...].filter { !$0.hasPrefix("-") }
guard !paths.isEmpty else {
    errorOut("sg-fuzz: this build has no libFuzzer (build it with scripts/fuzz); give files or folders to replay\n")
    exit(64)
}
exit(replay(chosen, Array(paths)))
#endif
