/**
 * The server side of the rosbridge v2 protocol on one connection, enough for a ROS robot's
 * roslibjs or rosbridge client: `advertise` / `unadvertise` / `publish` of its sensor topics,
 * `subscribe` / `unsubscribe` to the command topic, `set_level`, and `status` messages back.
 * A JointState (or a whole observation vector) on the observation topic is one observation;
 * the answer is published on the command topic.
 */
import type { ControlChannel, Decision } from './control.ts';
import { ProtocolError, type PolicyInfo } from './protocol.ts';
import { frameName, type Claim, type Frame, type JsonMessage, type ProtocolSession, type Send, type SessionContext, type SessionDetails } from './protocol_session.ts';
import { assembleObservation, commandMessage, type RosInputs, type RosTopics, type Source } from './ros_msgs.ts';
import { boundedName, DEFAULT_ROS_STATE_LIMITS, RosState, type RosStateLimits } from './ros_state.ts';

/** rosbridge v2 ops a client may send that this server handles (others get an error status). */
const ROSBRIDGE_OPS: readonly string[] = [
  'advertise', 'unadvertise', 'publish', 'subscribe', 'unsubscribe', 'set_level',
  'call_service', 'advertise_service', 'unadvertise_service', 'service_response', 'auth', 'fragment',
  'send_action_goal', 'cancel_action_goal', 'advertise_action', 'unadvertise_action',
];

const LEVELS = ['none', 'error', 'warning', 'info'];

/** What a rosbridge session needs to know about the deployment. */
export interface RosbridgeConfig {
  topics: RosTopics;
  /** Per-observation sources in JointState/Imu/Twist messages, or why there are none. */
  sources: readonly Source[] | string;
  /** Caps on subscriptions, advertisements and name lengths per connection (default DEFAULT_ROS_STATE_LIMITS). */
  limits?: RosStateLimits;
}

/** One rosbridge connection. */
export class RosbridgeSession implements ProtocolSession {
  static readonly title = 'rosbridge v2';
  static readonly opsHint = 'rosbridge v2 ops';

  /** Any rosbridge op opens the protocol (rosbridge has no hello). */
  static recognize(frame: Frame): Claim | null {
    return frame.kind === 'json' && ROSBRIDGE_OPS.includes(frame.message.op) ? 'opens' : null;
  }

  /** A rosbridge op on a bridge started without `--rosbridge`. */
  static disabled(frame: Frame): ProtocolError {
    return new ProtocolError('rosbridge_disabled', `${frameName(frame)} is a rosbridge op: start the bridge with --rosbridge to accept rosbridge clients`, 'op');
  }

  private readonly state: RosState;
  private readonly bounds: Readonly<RosStateLimits>;
  private level = 'error';
  private seq = 0;
  private readonly inputs: RosInputs;
  private lastVelocity: number[] | null = null;
  private warnedNoSubscriber = false;
  private readonly channel: ControlChannel;
  private readonly info: PolicyInfo;
  private readonly cfg: RosbridgeConfig;
  private readonly send: Send;

  constructor(ctx: SessionContext<RosbridgeConfig>) {
    this.channel = ctx.channel;
    this.info = ctx.info;
    this.cfg = ctx.settings;
    this.send = ctx.send;
    this.inputs = { lastRaw: new Float64Array(this.info.act_dim) };
    this.bounds = ctx.settings.limits ?? DEFAULT_ROS_STATE_LIMITS;
    this.state = new RosState(this.bounds);
  }

  /** Once the connection speaks rosbridge, every text frame is a rosbridge message (unknown ops get an error status). */
  accepts(frame: Frame): boolean {
    return frame.kind === 'json';
  }

  /** Advertised input topics, command subscriptions and the status level. */
  details(): SessionDetails {
    return { advertised: this.state.advertisedTopics(), subscribed: this.state.subscribedTopics(), level: this.level };
  }

  /** Input topics and the message types each accepts. */
  private inputTypes(topic: string): string[] | null {
    const t = this.cfg.topics;
    if (topic === t.observation) return ['sensor_msgs/JointState', 'std_msgs/Float64MultiArray'];
    if (topic === t.imu) return ['sensor_msgs/Imu'];
    if (topic === t.baseVelocity || topic === t.cmdVel) return ['geometry_msgs/Twist'];
    if (topic === t.estop) return ['std_msgs/Bool'];
    return null;
  }

  /**
   * Handles one rosbridge message; errors become `status` messages, never exceptions, and those
   * found before any waiting are sent at once (in message order). A binary frame (never accepted)
   * is thrown back for the connection to answer.
   */
  onFrame(frame: Frame, receivedMs: number): Promise<void> {
    if (frame.kind !== 'json') throw new ProtocolError('wrong_protocol', `binary frames are not part of ${RosbridgeSession.title} here (send JSON)`, 'frame');
    const m = frame.message;
    // an id beyond the name bound is refused (below), not echoed
    const id = typeof m.id === 'string' && m.id.length <= this.bounds.maxNameChars ? m.id : undefined;
    const report = (e: unknown) => this.status('error', e instanceof Error ? e.message : String(e), id);
    try {
      const pending = this.handle(m, receivedMs);
      return pending ? pending.catch(report) : Promise.resolve();
    } catch (e) {
      report(e);
      return Promise.resolve();
    }
  }

  private handle(m: JsonMessage, receivedMs: number): Promise<void> | undefined {
    const topic = m.topic;
    const str = (v: unknown, field: string) => boundedName(v, field, this.bounds);
    const id = typeof m.id === 'string' ? (m.id === '' ? '' : str(m.id, 'id')) : undefined;
    switch (m.op) {
      case 'advertise': this.advertise(str(topic, 'topic'), str(m.type, 'type')); return;
      case 'unadvertise': this.state.unadvertise(str(topic, 'topic')); return;
      case 'subscribe': this.subscribe(str(topic, 'topic'), m.type, id); return;
      case 'unsubscribe': this.state.unsubscribe(str(topic, 'topic'), id); return;
      case 'set_level':
        if (!LEVELS.includes(m.level as string)) throw new Error(`level must be one of ${LEVELS.join(', ')}`);
        this.level = m.level as string;
        return;
      case 'publish': return this.publish(str(topic, 'topic'), m.msg, receivedMs);
      default: throw new Error(`op ${m.op} is not supported by the sim2real bridge (supported: advertise, unadvertise, publish, subscribe, unsubscribe, set_level)`);
    }
  }

  private advertise(topic: string, type: string): void {
    const types = this.inputTypes(topic);
    if (!types) throw new Error(`topic ${topic} is not an input of this bridge (inputs: ${this.inputNames().join(', ')})`);
    if (!types.includes(type)) throw new Error(`topic ${topic} takes ${types.join(' or ')}, not ${type}`);
    if (type === 'sensor_msgs/JointState' && typeof this.cfg.sources === 'string') throw new Error(this.cfg.sources);
    this.state.advertise(topic, type);
  }

  private subscribe(topic: string, type: unknown, id: string | undefined): void {
    const t = this.cfg.topics;
    if (topic !== t.command) throw new Error(`topic ${topic} is not published by this bridge (it publishes ${t.command})`);
    if (type !== undefined && type !== '' && type !== t.commandType) throw new Error(`topic ${topic} carries ${t.commandType}, not ${String(type)}`);
    this.state.subscribe(topic, id ?? '');
  }

  private publish(topic: string, msg: unknown, receivedMs: number): Promise<void> | undefined {
    const type = this.state.advertisedType(topic);
    if (!type) throw new Error(`publish on ${topic} before advertise (inputs: ${this.inputNames().join(', ')})`);
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) throw new Error(`msg on ${topic} must be a ${type} object`);
    const m = msg as Record<string, unknown>;
    const t = this.cfg.topics;
    if (topic === t.imu) this.inputs.imu = m;
    else if (topic === t.baseVelocity) this.inputs.base_velocity = m;
    else if (topic === t.cmdVel) this.inputs.cmd_vel = m;
    else if (topic === t.estop) this.estop(m);
    else return this.observe(type, m, receivedMs);
  }

  private estop(m: Record<string, unknown>): void {
    if (typeof m.data !== 'boolean') throw new Error(`${this.cfg.topics.estop}: msg.data must be a boolean (true: e-stop, false: reset)`);
    if (m.data) {
      this.deliver(this.channel.estop(`std_msgs/Bool true on ${this.cfg.topics.estop}`));
    } else {
      this.channel.reset();
      this.status('info', 'e-stop reset: waiting for a fresh observation');
    }
  }

  private observe(type: string, m: Record<string, unknown>, receivedMs: number): Promise<void> | undefined {
    let obs: Float32Array;
    if (type === 'std_msgs/Float64MultiArray') {
      const data = m.data;
      if (!Array.isArray(data) || data.length !== this.info.obs_dim) throw new Error(`msg.data must hold the ${this.info.obs_dim} observation numbers (observed units)`);
      if (!data.every((x) => typeof x === 'number')) throw new Error('msg.data must be numbers');
      obs = Float32Array.from(data as number[]);
    } else {
      obs = assembleObservation(m, this.cfg.sources as Source[], this.info, this.inputs);
      this.rememberVelocity(m);
    }
    const d = this.channel.observe(obs, this.seq++, Date.now(), receivedMs);
    if (d instanceof Promise) return d.then((x) => this.deliver(x));
    this.deliver(d);
  }

  private rememberVelocity(js: Record<string, unknown>): void {
    const names = js.name as unknown[], vel = js.velocity;
    if (!Array.isArray(vel)) return;
    const v = this.info.joint_order.map((j) => vel[names.indexOf(j)]);
    this.lastVelocity = v.every((x) => typeof x === 'number' && Number.isFinite(x)) ? (v as number[]) : null;
  }

  /** Publishes a decision on the command topic (the safe command with a warning status); an error becomes an error status. */
  deliver(d: Decision): void {
    if (d.kind === 'error') return this.status('error', errorText(d.error));
    let command = d.command;
    if (d.kind === 'safe') {
      const s = this.info.safe_command;
      // damping under effort control: the command topic carries efforts, so damp from the last velocities
      if (s.type === 'damping' && this.info.control_mode === 'effort' && this.lastVelocity) command = command.map((c, k) => c - s.kd * this.lastVelocity![k]!);
      this.status('warning', `safety: ${d.reason}: safe command (${s.type}) published on ${this.cfg.topics.command}`);
    } else {
      this.inputs.lastRaw.set(d.raw);
    }
    const topic = this.cfg.topics.command;
    if (!this.state.subscribed(topic)) {
      if (!this.warnedNoSubscriber) this.status('warning', `nothing subscribed to ${topic}: the command was not delivered`);
      this.warnedNoSubscriber = true;
      return;
    }
    this.send(JSON.stringify({ op: 'publish', topic, msg: commandMessage(this.cfg.topics.commandType, command, this.info) }));
  }

  private status(level: 'error' | 'warning' | 'info', msg: string, id?: string): void {
    if (LEVELS.indexOf(level) > LEVELS.indexOf(this.level)) return;
    const m: Record<string, unknown> = { op: 'status', level, msg };
    if (id !== undefined) m.id = id;
    this.send(JSON.stringify(m));
  }

  private inputNames(): string[] {
    const t = this.cfg.topics;
    return [t.observation, t.imu, t.baseVelocity, t.cmdVel, t.estop];
  }
}

function errorText(e: ProtocolError): string {
  return e.field ? `${e.field}: ${e.message}` : e.message;
}
