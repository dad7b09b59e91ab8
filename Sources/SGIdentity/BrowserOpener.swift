import SGCore
#if canImport(Glibc)
import Glibc
#endif

/// Opens a URL in the desktop's browser with `xdg-open`, as the ark SDK does with `webbrowser`.
///
///     let browser = BrowserOpener.system()
///     if browser.isAvailable { browser.open("https://idp.example/login") }
///
/// Only when a desktop session is there (`DISPLAY` or `WAYLAND_DISPLAY`) and `xdg-open` is on
/// PATH: on a server xdg-open would start a text browser on the terminal sg is prompting on.
public struct BrowserOpener: Sendable {
    public let isAvailable: Bool
    private let opener: @Sendable (String) -> Void

    public init(isAvailable: Bool, open: @escaping @Sendable (String) -> Void) {
        self.isAvailable = isAvailable
        opener = open
    }

    public func open(_ url: String) {
        guard isAvailable else { return }
        opener(url)
    }

    /// `xdg-open URL` when the environment has a desktop; a browser that cannot be started is not an
    /// error (the URL was printed), and xdg-open is given a few seconds at most.
    public static func system(environment: [String: String] = Environment.current) -> BrowserOpener {
        let desktop = ["DISPLAY", "WAYLAND_DISPLAY"].contains { !(environment[$0] ?? "").isEmpty }
        let path = environment["PATH"] ?? "/usr/bin:/bin"
        let candidates: [String] = path.split(separator: ":").map { String($0) + "/xdg-open" }
        let xdgOpen = candidates.first { access($0, X_OK) == 0 }
        guard desktop, let xdgOpen else { return BrowserOpener(isAvailable: false) { _ in } }
        return BrowserOpener(isAvailable: true) { url in
            if let r = try? Subprocess.capture([xdgOpen, url], timeout: 5), r.status != 0 {
                Log.logger.debug("xdg-open exited \(r.status)")
            }
        }
    }
}
