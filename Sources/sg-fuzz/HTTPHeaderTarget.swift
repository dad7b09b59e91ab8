import SGTransport

/// `Retry-After` and the other numbers sg reads from HTTP headers: whatever the text, the result
/// is nil or a finite value in range, so the callers' `Int` conversions cannot trap.
func fuzzHTTPHeaderNumber(_ raw: UnsafeRawBufferPointer) {
    let value = text(raw)
    if let wait = HeaderNumber.retryAfter(value, now: 1_700_000_000) {
        precondition(wait.isFinite && wait >= 0 && wait <= HeaderNumber.maxDelay, "Retry-After out of range")
        _ = Int(wait * 1000)
    }
    if let n = HeaderNumber.decimal(value, limit: 525_600) {
        precondition(n.isFinite && abs(n) <= 525_600, "decimal out of range")
        _ = Int(n)
    }
    if let date = HeaderNumber.httpDate(value) {
        precondition(date.isFinite, "HTTP-date not finite")
        _ = Int(date)
    }
}
