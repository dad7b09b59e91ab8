// SGSafeguard: see README "Layout".
