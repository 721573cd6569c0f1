// Topic patterns with named single-level wildcards, e.g. `{account}/sweet-home/{device}/status-control/connectors-count`.

export interface TopicPattern {
  pattern: string;
  /** The MQTT subscription filter: every `{name}` becomes `+`. */
  filter: string;
  match(topic: string): Record<string, string> | undefined;
  /** The same for a topic already split at "/": a message tried against several routes is split once. */
  matchLevels(parts: readonly string[]): Record<string, string> | undefined;
}

export function compileTopicPattern(pattern: string): TopicPattern {
  const levels = pattern.split("/");
  const names = levels.map((level) => /^\{([a-z_][a-z0-9_]*)\}$/i.exec(level)?.[1]);
  for (const level of levels) {
    if (/[+#{}]/.test(level) && !/^\{[a-z_][a-z0-9_]*\}$/i.test(level)) {
      throw new Error(
        `topic pattern ${pattern}: a level is either literal or a whole {name}, got "${level}"`,
      );
    }
  }
  const matchLevels = (parts: readonly string[]): Record<string, string> | undefined => {
    if (parts.length !== levels.length) return undefined;
    // Every level is checked before a capture object is made: most routes tried do not match.
    for (let i = 0; i < levels.length; i++) {
      const part = parts[i] as string;
      if (names[i] ? part.length === 0 : part !== levels[i]) return undefined;
    }
    const captures: Record<string, string> = {};
    for (let i = 0; i < levels.length; i++) {
      const name = names[i];
      if (name) captures[name] = parts[i] as string;
    }
    return captures;
  };
  return {
    pattern,
    filter: levels.map((level, i) => (names[i] ? "+" : level)).join("/"),
    match: (topic) => matchLevels(topic.split("/")),
    matchLevels,
  };
}
