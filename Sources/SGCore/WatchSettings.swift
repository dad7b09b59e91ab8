/// The `watch:` section of the config (docs/config.md): how sg follows rotation.
///
/// - `poll`: seconds between re-reads of each watched secret when A2A events cannot be had
///   (default 300, as Vault Agent re-reads static secrets);
/// - `ping-interval`: seconds between the client's SignalR keep-alive pings; a stream silent for
///   two ping intervals is stalled and reconnected (default 15: SignalR's server pings every 15 s
///   and drops a client silent for 30 s);
/// - `reconnect-min` / `reconnect-max`: the backoff between reconnects, doubled after each failed
///   attempt, with ±25 % jitter (defaults 1 and 60).
public struct WatchSettings: Sendable, Equatable {
    public var poll: Double = 300
    public var pingInterval: Double = 15
    public var reconnectMin: Double = 1
    public var reconnectMax: Double = 60

    public init() {}

    /// No byte for this long ends the stream as stalled.
    public var stallAfter: Double { 2 * pingInterval }

    /// The wait before reconnect attempt `attempt` (1-based), with jitter.
    public func backoff(attempt: Int) -> Double {
        let base = min(reconnectMax, reconnectMin * Double(1 << min(max(attempt - 1, 0), 20)))
        return base * Double.random(in: 0.75...1.25)
    }
}
