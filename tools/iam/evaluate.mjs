// Evaluates AWS requests against IAM policies with @cloud-copilot/iam-simulate (a test tool: AGPL-3.0, installed
// into tools/iam/node_modules by scripts/lib.sh, never part of a function).
//
// Input (a file named by the first argument): {"policies": {"<id>": <policy document>},
//   "requests": [{"id", "principal", "action", "resource", "account", "context": {...},
//                 "identityPolicies": ["<id>", ...], "resourcePolicy": "<id>" | null}]}
// Output (stdout): one JSON line per request: {"id", "result", "ignoredContextKeys", "errors", "allowedBy",
//   "deniedBy", "nearMisses"}; result is Allowed, ImplicitlyDenied, ExplicitlyDenied or Error.
import { readFileSync } from 'node:fs'
import { runSimulation } from '@cloud-copilot/iam-simulate'

// iam-simulate 0.1.173 recognises a context key with a variable part only after a '/' (aws:PrincipalTag/x), so
// kms:EncryptionContext:<key> is dropped into ignoredContextKeys and every condition on it fails: a false deny.
// Each such key, in the request and in every policy condition, is renamed to a key of the '/' form that the
// library accepts for every action and that no policy of ours uses; the evaluation is otherwise unchanged.
// A test (IamEvaluatorIT) proves both the defect and that a condition on the renamed key decides as AWS would.
const ENCRYPTION_CONTEXT = /^kms:encryptioncontext:(.+)$/i
const STAND_IN = 'aws:RequestTag/pgbackup.kms.EncryptionContext/'

export function standIn (key) {
  const m = ENCRYPTION_CONTEXT.exec(key)
  return m ? STAND_IN + m[1] : key
}

function original (key) {
  return key.startsWith(STAND_IN) ? 'kms:EncryptionContext:' + key.slice(STAND_IN.length) : key
}

function renameConditionKeys (policy, id) {
  const statements = [policy.Statement].flat().filter(Boolean)
  return {
    ...policy,
    Statement: statements.map((statement) => {
      if (!statement.Condition) return statement
      const condition = {}
      for (const [operator, keys] of Object.entries(statement.Condition)) {
        condition[operator] = {}
        for (const [key, value] of Object.entries(keys)) {
          if (key.toLowerCase().startsWith(STAND_IN.toLowerCase())) {
            throw new Error(`policy ${id} already uses ${key}, the stand-in for kms:EncryptionContext keys`)
          }
          condition[operator][standIn(key)] = value
        }
      }
      return { ...statement, Condition: condition }
    })
  }
}

// the library hands statements back as objects of its own: their JSON is the policy's statement
function raw (s) {
  return typeof s.statement?.toJSON === 'function' ? s.statement.toJSON() : (s.statement ?? {})
}

function statementName (s) {
  return `${s.policyId ?? 'resource policy'}:${raw(s).Sid ?? s.explain?.identifier ?? '?'}`
}

// The statements that almost applied: right action, wrong resource or a condition that failed.
function nearMisses (analysis) {
  if (!analysis) return []
  return (analysis.unmatchedStatements ?? [])
    .filter((s) => s.actionMatch && raw(s).Effect === 'Allow')
    .map((s) => ({
      statement: statementName(s),
      resource: raw(s).Resource ?? null,
      resourceMatch: s.resourceMatch,
      failedConditions: [s.explain?.conditions ?? []].flat().filter((c) => !c.matches)
        .map((c) => `${c.operator} ${original(c.conditionKeyValue)} ${JSON.stringify(c.values?.value ?? c.values)}`)
    }))
}

// input.withoutWorkaround: the library as published (only to show that it still drops those keys)
export async function evaluate (input) {
  const rename = input.withoutWorkaround ? (key) => key : standIn
  const policies = {}
  for (const [id, policy] of Object.entries(input.policies)) {
    policies[id] = input.withoutWorkaround ? policy : renameConditionKeys(policy, id)
  }
  const out = []
  for (const request of input.requests) {
    const context = {}
    for (const [key, value] of Object.entries(request.context ?? {})) context[rename(key)] = value
    const simulation = {
      identityPolicies: request.identityPolicies.map((id) => ({ name: id, policy: policies[id] })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: request.resourcePolicy ? policies[request.resourcePolicy] : undefined,
      request: {
        action: request.action,
        principal: request.principal,
        resource: { accountId: request.account, resource: request.resource },
        contextVariables: context
      }
    }
    const response = await runSimulation(simulation, {})
    if (response.resultType === 'error') {
      out.push({ id: request.id, result: 'Error', errors: response.errors })
      continue
    }
    const result = response.result
    const analysis = result.analysis ?? {}
    const allowed = [...(analysis.identityAnalysis?.allowStatements ?? []), ...(analysis.resourceAnalysis?.allowStatements ?? [])]
    const denied = [...(analysis.identityAnalysis?.denyStatements ?? []), ...(analysis.resourceAnalysis?.denyStatements ?? [])]
    out.push({
      id: request.id,
      result: response.overallResult,
      ignoredContextKeys: (result.ignoredContextKeys ?? []).map(original),
      allowedBy: allowed.map(statementName),
      deniedBy: denied.map(statementName),
      nearMisses: response.overallResult === 'Allowed' ? [] : [...nearMisses(analysis.identityAnalysis), ...nearMisses(analysis.resourceAnalysis)]
    })
  }
  return out
}

if (process.argv[2]) {
  const input = JSON.parse(readFileSync(process.argv[2], 'utf8'))
  for (const line of await evaluate(input)) process.stdout.write(JSON.stringify(line) + '\n')
}
