/** The command table: adding a command is adding a line here and a file under cmds/. */
import { command as auditKeys } from './cmds/audit/keys.js';
import { command as auditNodeLog } from './cmds/audit/node-log.js';
import { command as auditShares } from './cmds/audit/shares.js';
import { command as auditTranscript } from './cmds/audit/transcript.js';
import { command as ceremony } from './cmds/ceremony/run.js';
import { command as clusterInit } from './cmds/cluster/init.js';
import { command as clusterSignCsr } from './cmds/cluster/sign-csr.js';
import { command as clusterStatus } from './cmds/cluster/status.js';
import { command as clusterUp } from './cmds/cluster/up.js';
import { command as nodeInit } from './cmds/node/init.js';
import { command as nodeLogVerify } from './cmds/node/log-verify.js';
import { command as nodeStart } from './cmds/node/start.js';
import { command as tokenInit } from './cmds/token/init.js';
import { command as tokenKeygen } from './cmds/token/keygen.js';
import { command as tokenList } from './cmds/token/list.js';
import { command as tokenPolicy } from './cmds/token/policy.js';
import { command as tokenServe } from './cmds/token/serve.js';
import { command as tokenShow } from './cmds/token/show.js';
import { command as up } from './cmds/up.js';
import type { Command } from './command.js';

export const COMMANDS: readonly Command[] = [
  nodeInit,
  nodeStart,
  nodeLogVerify,
  clusterInit,
  clusterSignCsr,
  clusterUp,
  clusterStatus,
  tokenInit,
  tokenServe,
  tokenList,
  tokenShow,
  tokenKeygen,
  tokenPolicy,
  up,
  ceremony,
  auditKeys,
  auditShares,
  auditTranscript,
  auditNodeLog,
];
