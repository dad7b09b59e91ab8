/// Quotes a word for a shell command shown to the user.
public func shellQuote(_ s: String) -> String {
    let safe = s.allSatisfy { $0.isLetter || $0.isNumber || "/._-~+:@%=,".contains($0) }
    if safe && !s.isEmpty { return s }
    return "'" + s.replacingAll("'", with: "'\\''") + "'"
}
