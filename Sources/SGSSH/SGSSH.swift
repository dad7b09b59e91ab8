// SGSSH: see README "Layout".
