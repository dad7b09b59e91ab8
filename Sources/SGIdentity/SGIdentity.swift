// SGIdentity: see README "Layout".
