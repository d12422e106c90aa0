/**
 * Puts a deployment together from files: the ONNX policy and its contract, the robot
 * description (JSON + URDF) it is checked against, the safety limits derived from them, and
 * the settings of the protocols served (native always, rosbridge on request), then starts the
 * bridge server.
 */
import path from 'node:path';
import type { PolicyContract } from '../onnx/metadata.ts';
import { OnnxPolicy } from '../onnx/onnx_policy.ts';
import { loadRobotSpec, type LoadedRobotSpec } from '../robot/robot_spec.ts';
import { loadUrdf } from '../robot/urdf/urdf_loader.ts';
import type { ConnectionStepListener } from './connection.ts';
import type { BridgePolicy } from './control.ts';
import { policyInfo, safetyLimitsFor } from './limits.ts';
import type { PolicyInfo } from './protocol.ts';
import { observationSources, rosTopics } from './ros_msgs.ts';
import type { BridgeProtocolSettings } from './protocol_table.ts';
import type { RosbridgeConfig } from './rosbridge.ts';
import { BridgeServer, type BridgeServerConfig } from './server.ts';
import type { SafetyLimits } from './safety.ts';
import type { TrafficLimits } from './traffic_limits.ts';

/** What `sim2real deploy` is asked to do. */
export interface DeployOptions {
  policyFile: string;
  /** `robots/<name>.json` path or bare robot name; default: the robot the policy names. */
  robot?: string;
  host: string;
  port: number;
  token?: string | null;
  tls?: { cert: Buffer; key: Buffer } | null;
  rosbridge: boolean;
  /** Watchdog timeout (default: 3 control periods). */
  timeoutMs?: number;
  heartbeatMs?: number;
  /** Browser origins allowed to connect (default none: a request with an `Origin` header is refused). */
  allowOrigins?: readonly string[];
  /** Open connections at most (default DEFAULT_MAX_CONNECTIONS). */
  maxConnections?: number;
  /** Per-connection rate limits, send-buffer bound and fair inference (default DEFAULT_TRAFFIC_LIMITS). */
  traffic?: Partial<TrafficLimits>;
  log?: (line: string) => void;
}

/** A started deployment. */
export interface Deployment {
  server: BridgeServer;
  policy: OnnxPolicy;
  spec: LoadedRobotSpec;
  rosbridge: RosbridgeConfig | null;
  limits: SafetyLimits;
  /** Stops the server and releases the policy. */
  close(): Promise<void>;
}

/** Serving a policy already loaded: the network options of a deployment, the policy, the contract it is described by and the robot. */
export interface ServeOptions extends Omit<DeployOptions, 'policyFile' | 'robot'> {
  policy: BridgePolicy;
  /** The contract the safety limits and `welcome` are derived from (checked against `spec`). */
  contract: PolicyContract;
  spec: LoadedRobotSpec;
  /** Told of every control step (BridgeServerConfig.onStep). */
  onStep?: ConnectionStepListener;
}

/** A bridge serving a policy, and what it derived from the contract and the robot. */
export interface ServedBridge {
  server: BridgeServer;
  info: PolicyInfo;
  limits: SafetyLimits;
  rosbridge: RosbridgeConfig | null;
}

/** Loads and checks everything, then serves; errors name the file or option at fault. */
export async function startDeployment(o: DeployOptions): Promise<Deployment> {
  const policy = await OnnxPolicy.load(o.policyFile);
  try {
    const spec = loadRobotSpec(o.robot ?? policy.contract.robot);
    const { policyFile: _file, robot: _robot, ...network } = o;
    const { server, rosbridge, limits } = await serveBridge({ ...network, policy, contract: policy.contract, spec });
    return {
      server, policy, spec, rosbridge, limits,
      close: async () => {
        await server.close();
        await policy.dispose();
      },
    };
  } catch (e) {
    await policy.dispose();
    throw e;
  }
}

/**
 * Derives the safety limits and the `welcome` description from `contract` on `spec`'s robot,
 * the settings of the protocols served (native always, rosbridge on request), and starts the
 * bridge server with `policy` (`sim2real deploy`, and the on-robot agent with its own policy slot).
 */
export async function serveBridge(o: ServeOptions): Promise<ServedBridge> {
  const limits = safetyLimitsFor(o.contract, o.spec, loadUrdf(o.spec.urdfPath), o.timeoutMs);
  const info = policyInfo(o.contract, limits);
  const rosbridge = o.rosbridge ? { topics: rosTopics(o.spec.bridge), sources: observationSources(info, o.spec.bridge?.observation_sources) } : null;
  const settings: BridgeProtocolSettings = { native: {}, rosbridge };
  const cfg: BridgeServerConfig = {
    policy: o.policy, info, limits, host: o.host, port: o.port, token: o.token ?? null, tls: o.tls ?? null, settings,
    ...(o.heartbeatMs !== undefined ? { heartbeatMs: o.heartbeatMs } : {}),
    ...(o.allowOrigins ? { allowOrigins: o.allowOrigins } : {}),
    ...(o.maxConnections !== undefined ? { maxConnections: o.maxConnections } : {}),
    ...(o.traffic ? { traffic: o.traffic } : {}),
    ...(o.onStep ? { onStep: o.onStep } : {}),
    ...(o.log ? { log: o.log } : {}),
  };
  return { server: await BridgeServer.start(cfg), info, limits, rosbridge };
}

/** A short description of what is served, for the log. */
export function describeDeployment(d: Deployment, file: string): string {
  const c = d.policy.contract;
  const ros = d.rosbridge ? `, rosbridge v2 (${d.rosbridge.topics.observation} → ${d.rosbridge.topics.command})` : '';
  return `serving ${path.basename(file)} (task ${c.task}, robot ${c.robot}, ${c.obsDim} obs → ${c.actDim} ${c.controlMode} commands at ${Math.round(1 / c.controlDtS)} Hz) on ${d.server.url}: native protocol v1${ros}; watchdog ${d.limits.timeoutMs} ms`;
}
