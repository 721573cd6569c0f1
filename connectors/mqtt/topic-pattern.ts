// Topic patterns with named single-level wildcards, e.g. `{account}/sweet-home/{device}/status-control/connectors-count`.

export interface TopicPattern {
  pattern: string;
  /** The MQTT subscription filter: every `{name}` becomes `+`. */
  filter: string;
  match(topic: string): Record<string, string> | undefined;
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
  return {
    pattern,
    filter: levels.map((level, i) => (names[i] ? "+" : level)).join("/"),
    match(topic) {
      const parts = topic.split("/");
      if (parts.length !== levels.length) return undefined;
      const captures: Record<string, string> = {};
      for (let i = 0; i < levels.length; i++) {
        const part = parts[i] as string;
        const name = names[i];
        if (name) {
          if (part.length === 0) return undefined;
          captures[name] = part;
        } else if (part !== levels[i]) return undefined;
      }
      return captures;
    },
  };
}
