// SGResolver: see README "Layout".
