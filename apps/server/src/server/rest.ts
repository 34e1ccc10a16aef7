// The REST API under /api (see docs/api.md): labs (list, read, create, PUT a whole document,
// edit, rename, start, stop, delete), the kernel's view of a lab, commands run in a node, and
// exports. Requests are checked with the same schemas as socket.io events.
//
// Knows: routes, bodies, status codes. Leaves to others: authentication and Origin (http.ts),
// the work (labs.ts, engine).

import express, { type Request, type Response } from "express";
import { z } from "zod";
import { inNetns, run, type Engine } from "@topolab/engine";
import { LabNameSchema, labToJson, labToYaml, NodeNameSchema, zodIssues } from "@topolab/topology";
import { clientEvents, LIMITS } from "@topolab/protocol";
import { capturesOf } from "./capture";
import { accessLab, instructorOnly, notForStudents, shellForRole, type Classes, type Role } from "./classes";
import { invalid, RequestError, runningMeta } from "./errors";
import type { Labs } from "./labs";
import type { Templates } from "./templates";
import { shellEnv } from "../terminals/terminal";

const ExecBody = z.strictObject({
  /** the program and its arguments; never a shell string */
  argv: z.array(z.string().max(8192)).min(1).max(256),
  /** default 10 s, at most 300 s */
  timeoutMs: z.number().int().min(1).max(300_000).optional(),
  /** given to the program on stdin */
  input: z.string().max(LIMITS.maxLabText).optional(),
});
const EditBody = clientEvents["lab:edit"].args.omit({ lab: true });
const RenameBody = clientEvents["lab:rename"].args.omit({ lab: true });
const CreateBody = clientEvents["lab:create"].args;
const MAX_EXEC_OUTPUT = 4 * 1024 * 1024;

function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.infer<T> {
  const r = schema.safeParse(value ?? {}, { reportInput: true });
  if (!r.success) throw invalid(zodIssues(r.error, []), `the ${where} is not valid`);
  return r.data;
}

const labParam = (req: Request) => parse(LabNameSchema, req.params["lab"], "lab name in the address");
/** who asks (http.ts set it after authentication); nobody unknown gets this far */
export const roleOf = (res: Response): Role => {
  const role = res.locals["role"] as Role | undefined;
  if (!role) throw new RequestError("not_found", "there is no such API path");
  return role;
};
/** The lab in the address, through the one access rule (classes.ts): another's lab is "not found". */
const labOf = (req: Request, res: Response) => {
  const lab = labParam(req);
  accessLab(roleOf(res), lab);
  return lab;
};

export function restRouter(d: { labs: Labs; engine: Engine; templates: Templates; classes: Classes }): express.Router {
  const r = express.Router();
  const { labs, engine } = d;

  r.get("/labs", async (_req, res) => {
    const role = roleOf(res);
    res.json((await labs.list()).filter((l) => role.kind === "instructor" || l.name === role.lab));
  });
  r.post("/labs", async (req, res) => {
    instructorOnly(roleOf(res), "such API path");
    res.status(201).json(await labs.create(parse(CreateBody, req.body, "request body")));
  });
  r.get("/templates", async (_req, res) => {
    instructorOnly(roleOf(res), "such API path");
    res.json(await d.templates.list());
  });
  r.get("/capabilities", async (_req, res) => {
    res.json(await engine.capabilities());
  });

  r.get("/labs/:lab", async (req, res) => {
    res.json(await labs.view(labOf(req, res), { status: req.query["status"] === "1" }));
  });
  r.put("/labs/:lab", async (req, res) => {
    const lab = labOf(req, res);
    const role = roleOf(res);
    d.classes.takeEdit(role);
    if (role.kind === "student") {
      if (typeof req.body !== "object" || req.body === null || Array.isArray(req.body))
        throw invalid([{ path: "", message: "a student sends the lab as a JSON document" }]);
      await d.classes.checkStudentEdit(role, lab, [{ type: "replace", document: req.body as Record<string, unknown> }]);
    }
    const result = await labs.put(lab, req.body);
    res.status(result.created ? 201 : 200).json(result);
  });
  r.delete("/labs/:lab", async (req, res) => {
    const lab = labOf(req, res);
    notForStudents(roleOf(res), "delete");
    await labs.remove(lab);
    res.status(204).end();
  });
  r.post("/labs/:lab/edit", async (req, res) => {
    const lab = labOf(req, res);
    const changes = parse(EditBody, req.body, "request body").changes;
    const role = roleOf(res);
    d.classes.takeEdit(role);
    await d.classes.checkStudentEdit(role, lab, changes);
    res.json(await labs.edit(lab, changes));
  });
  r.post("/labs/:lab/rename", async (req, res) => {
    const lab = labOf(req, res);
    notForStudents(roleOf(res), "rename");
    res.json(await labs.rename(lab, parse(RenameBody, req.body, "request body").to));
  });
  r.post("/labs/:lab/start", async (req, res) => {
    res.json(await labs.start(labOf(req, res)));
  });
  r.post("/labs/:lab/stop", async (req, res) => {
    await labs.stop(labOf(req, res));
    res.status(204).end();
  });
  r.get("/labs/:lab/status", async (req, res) => {
    res.json(await labs.status(labOf(req, res)));
  });

  r.get("/labs/:lab/export", async (req, res) => {
    const lab = labOf(req, res);
    const format = req.query["format"] ?? "sh";
    if (format === "sh" || format === "sh-down") {
      res.type("text/plain").send(await engine.exportScript(lab, format));
      return;
    }
    if (format !== "yaml" && format !== "json") throw invalid([{ path: "format", message: "must be sh, sh-down, yaml or json" }]);
    const doc = await engine.state.readLab(lab);
    if (!doc) throw new RequestError("not_found", `there is no lab named ${lab}`);
    res.type(format === "yaml" ? "application/yaml" : "application/json").send(format === "yaml" ? labToYaml(doc) : labToJson(doc));
  });

  // the packets a capture kept (a ring: the latest ones), as pcapng with one interface per node:if
  r.get("/labs/:lab/captures/:file", async (req, res) => {
    const lab = labOf(req, res);
    const m = /^([A-Za-z0-9_-]{8,64})\.pcapng$/.exec(String(req.params["file"]));
    if (!m) throw invalid([{ path: "capture", message: "must be CAPTURE-ID.pcapng" }], "the capture in the address is not valid");
    const bytes = capturesOf(engine).pcapng(lab, m[1]!);
    res
      .type("application/x-pcapng")
      .set("Content-Disposition", `attachment; filename="${lab}-${m[1]}.pcapng"`)
      .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });

  r.post("/labs/:lab/nodes/:node/exec", async (req: Request, res: Response) => {
    const lab = labOf(req, res);
    const node = parse(NodeNameSchema, req.params["node"], "node name in the address");
    const body = parse(ExecBody, req.body, "request body");
    const ns = await engine.nodeNamespace(lab, node);
    await runningMeta(engine, lab, "start it first");
    const timeoutMs = body.timeoutMs ?? 10_000;
    const started = performance.now();
    const role = roleOf(res);
    // a student's command runs confined, as their terminal does (classes.ts shellForRole)
    const confined = role.kind === "student" ? await shellForRole(role, engine.state.dir, lab, node, ns, body.argv) : null;
    const result = await run(confined ? confined.argv : inNetns(ns, body.argv), {
      timeoutMs,
      maxOutput: MAX_EXEC_OUTPUT,
      ...(body.input !== undefined ? { input: body.input } : {}),
      env: confined ? confined.env : shellEnv({ argv: [], cwd: "/root", env: { TOPOLAB_LAB: lab, TOPOLAB_NODE: node } }),
    });
    const timedOut = result.timedOut === true;
    res.json({ code: result.code, stdout: result.stdout, stderr: result.stderr, timedOut, ms: Math.round(performance.now() - started) });
  });

  return r;
}
