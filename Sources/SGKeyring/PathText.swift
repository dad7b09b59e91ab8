/// Path arithmetic without Foundation's URL.
struct PathText {
    let path: String
    init(_ path: String) { self.path = path }
    var parent: String {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        guard let slash = p.lastIndex(of: "/") else { return "" }
        if slash == p.startIndex { return "/" }
        return String(p[..<slash])
    }
}

extension PathText {
    var last: String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}
