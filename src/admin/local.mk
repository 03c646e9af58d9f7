# certseal-admin (wired once the envelope lands).
