/// Targets for parsers that live on other branches until they land (the git credential protocol).
let extraFuzzTargets: [FuzzTarget] = []
