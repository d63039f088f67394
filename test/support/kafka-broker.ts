// A throwaway Kafka broker for tests that kill it: the same jars and KRaft settings as
// scripts/infra/up.sh, on ports and a data directory of its own (under .data/), so `kill -9` hurts
// nobody else. Restarting it reuses the data directory: topics, records and offsets survive.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { ROOT, freePort } from './context';
import { isRunning, killHard, untilReady } from './child-process';

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

/**
 * Ready means answering requests, not only listening: a KRaft broker opens its port a second or more
 * before it handles a request (it registers with its controller first), and a client that connects
 * in between times out (CI saw provisioning fail on "ApiVersions timed out" exactly there).
 */
async function answers(port: number): Promise<boolean> {
  if (!(await portOpen(port))) return false;
  const admin = new Kafka({
    clientId: 'test-broker-ready',
    brokers: [`127.0.0.1:${port}`],
    connectionTimeout: 1_000,
    requestTimeout: 2_000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    return (await admin.describeCluster()).brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export interface TestKafkaBroker {
  /** `127.0.0.1:<port>`, for KAFKA_BROKERS. */
  brokers: string;
  start(): Promise<void>;
  /** kill -9, and wait for the process to be gone. */
  kill(): Promise<void>;
  running(): boolean;
  /** The broker's process id while it runs (for SIGSTOP/SIGCONT pauses). */
  pid(): number | undefined;
  /** Kills it (if running) and removes its data directory. */
  destroy(): Promise<void>;
}

export async function testKafkaBroker(name: string): Promise<TestKafkaBroker> {
  const home = path.join(ROOT, '.infra', readdirSync(path.join(ROOT, '.infra')).find((d) => d.startsWith('kafka-')) ?? 'kafka-missing');
  const [port, controllerPort] = [await freePort(), await freePort()];
  const dir = path.join(ROOT, '.data', `${name}-${port}`);
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  const props = path.join(dir, 'server.properties');
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      `log.dirs=${path.join(dir, 'logs')}`,
      'num.partitions=3',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=3',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=false',
      '',
    ].join('\n'),
  );
  writeFileSync(
    path.join(dir, 'log4j.properties'),
    'log4j.rootLogger=WARN, stdout\nlog4j.appender.stdout=org.apache.log4j.ConsoleAppender\nlog4j.appender.stdout.layout=org.apache.log4j.PatternLayout\n',
  );
  const java = ['-Xms128m', '-Xmx384m', '-cp', `${home}/libs/*`, `-Dlog4j.configuration=file:${path.join(dir, 'log4j.properties')}`];
  const clusterId = execFileSync('java', [...java, 'kafka.tools.StorageTool', 'random-uuid'], { encoding: 'utf8' }).trim();
  execFileSync('java', [...java, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props, '--ignore-formatted'], { stdio: 'ignore' });

  let proc: ChildProcess | undefined;
  const brokerLog = path.join(dir, 'broker.log');
  const reap = () => proc?.kill('SIGKILL');
  process.once('exit', reap);
  const broker: TestKafkaBroker = {
    brokers: `127.0.0.1:${port}`,
    running: () => isRunning(proc),
    pid: () => (broker.running() ? proc?.pid : undefined),
    async start() {
      // The broker's own output (WARN and up), so a start that fails says why (a soak in CI once saw
      // the broker exit during its start with nothing to show for it).
      const out = openSync(brokerLog, 'a');
      proc = spawn('java', [...java, 'kafka.Kafka', props], { stdio: ['ignore', out, out] });
      closeSync(out);
      await untilReady(
        `test kafka broker on ${port}`,
        () => answers(port),
        () => broker.running(),
      ).catch((err: unknown) => {
        const tail = existsSync(brokerLog) ? readFileSync(brokerLog, 'utf8').trim().split('\n').slice(-15).join('\n') : '';
        throw new Error(`${(err as Error).message}; its output (${brokerLog}):\n${tail}`, { cause: err });
      });
    },
    async kill() {
      await killHard(proc);
    },
    async destroy() {
      await broker.kill();
      process.removeListener('exit', reap);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return broker;
}
