// What a component and `wattline start`'s supervisor say to each other over the IPC channel the supervisor opens:
// a component says when it is ready (the MQTT connector once subscribed, the API once listening); the supervisor
// tells every component whether all of them are. A component run alone, or by another parent with a channel (a
// benchmark), has no such supervisor, and none of this happens.

/** Set by the supervisor in its children's environment. */
export const SUPERVISED_ENV = "WATTLINE_SUPERVISED";

const supervised = () => process.channel !== undefined && process.env[SUPERVISED_ENV] === "1";

export interface ComponentsState {
  ready: boolean;
  /** Components not ready yet (starting, restarting or given up on). */
  waiting: string[];
}

type Message = { wattline: "ready" } | ({ wattline: "components" } & ComponentsState);

/** Tells the supervisor, if any, that this component is ready. */
export function announceReady(): void {
  if (supervised()) process.send?.({ wattline: "ready" } satisfies Message);
}

export const isReadyMessage = (m: unknown): boolean => (m as Message | null)?.wattline === "ready";

export const componentsMessage = (state: ComponentsState): Message => ({ wattline: "components", ...state });

/**
 * The latest state the supervisor sent; undefined when this process is not supervised (then only its own
 * dependencies count). Until the first message, a supervised process counts as waiting for everyone.
 */
export function supervisedComponents(): () => ComponentsState | undefined {
  if (!supervised()) return () => undefined;
  let state: ComponentsState = { ready: false, waiting: ["(no word from the supervisor yet)"] };
  process.on("message", (m: unknown) => {
    const message = m as Message | null;
    if (message?.wattline === "components") state = { ready: message.ready, waiting: message.waiting };
  });
  return () => state;
}
