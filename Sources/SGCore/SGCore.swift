// SGCore: see README "Layout".
