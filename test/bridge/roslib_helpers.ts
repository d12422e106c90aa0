/** roslib (the real rosbridge client) for the bridge tests: a typed handle, connecting, and a queue of received messages. */

/**
 * The part of roslib 2.x used here. Its published typings re-export './src/RosLib' without an
 * extension, which NodeNext resolution cannot follow, so the real module is typed by hand.
 */
export interface RosLike {
  on(event: 'connection' | 'error', cb: (e?: unknown) => void): void;
  close(): void;
}
/** A roslib topic. */
export interface TopicLike<T> {
  subscribe(cb: (m: T) => void): void;
  unsubscribe(): void;
  publish(m: object): void;
}
interface Roslib {
  Ros: new (o: { url: string }) => RosLike;
  Topic: new <T>(o: { ros: RosLike; name: string; messageType: string }) => TopicLike<T>;
}
/** roslib's Ros and Topic classes. */
export const { Ros, Topic } = (await import('roslib')) as unknown as Roslib;

/** Connects roslib to `url` and resolves once connected. */
export async function connectRos(url: string): Promise<RosLike> {
  const ros = new Ros({ url });
  await new Promise<void>((resolve, reject) => {
    ros.on('connection', () => resolve());
    ros.on('error', reject);
  });
  return ros;
}

/** A roslib topic on `ros`. */
export function topic<T>(ros: RosLike, name: string, messageType: string): TopicLike<T> {
  return new Topic<T>({ ros, name, messageType });
}

/** A queue of messages from a roslib subscription: `next()` waits for the next one. */
export function queue<T>() {
  const items: T[] = [];
  let wake: (() => void) | null = null;
  return {
    push: (m: T) => {
      items.push(m);
      wake?.();
    },
    next: async (): Promise<T> => {
      while (items.length === 0) await new Promise<void>((r) => (wake = r));
      return items.shift() as T;
    },
  };
}

/** A cartpole JointState (the bridge maps hinge and slider to the four observations). */
export function jointState(x: number, xd: number, th: number, thd: number) {
  return { header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' }, name: ['hinge', 'slider'], position: [th, x], velocity: [thd, xd], effort: [] };
}
