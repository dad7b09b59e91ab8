import SGCore

/// YAML.compose on its own: any input is either refused with a YAMLError or composed into a
/// tree inside every limit (depth, nodes and scalar bytes counted with aliases expanded). A tree
/// past a limit, or any other error, is a finding: it traps so libFuzzer keeps the input.
func fuzzYAML(_ raw: UnsafeRawBufferPointer) {
    let root: YAMLNode?
    do { root = try YAML.compose(text(raw)) } catch is YAMLError { return } catch {
        fatalError("YAML.compose threw something other than a YAMLError: \(error)")
    }
    guard let root else { return }
    var nodes = 0
    var bytes = 0
    // Iterative, so that a tree the limits failed to bound cannot overflow the stack here first.
    var pending: [(YAMLNode, Int)] = [(root, 0)]
    while let (node, depth) = pending.popLast() {
        nodes += 1
        precondition(depth < YAML.maxDepth, "a node at depth \(depth) was composed")
        precondition(nodes <= YAML.maxNodes, "more than \(YAML.maxNodes) nodes were composed")
        switch node.kind {
        case .scalar(let s):
            bytes += s.utf8.count
            precondition(bytes <= YAML.maxExpandedBytes, "more than \(YAML.maxExpandedBytes) scalar bytes were composed")
        case .sequence(let items): pending += items.map { ($0, depth + 1) }
        case .mapping(let pairs): pending += pairs.flatMap { [($0.key, depth + 1), ($0.value, depth + 1)] }
        }
    }
}
