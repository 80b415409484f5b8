import { readFile } from "node:fs/promises";
import { detectVectorType, type FileResult, runCases, UnknownVectorTypeError } from "./runner.js";

/** Runs every case of one official vector file, its type detected from the file name. */
export async function runVectorFile(path: string): Promise<FileResult> {
  const runner = detectVectorType(path);
  if (!runner) throw new UnknownVectorTypeError(path);
  const cases: unknown = JSON.parse(await readFile(path, "utf8"));
  if (!Array.isArray(cases)) throw new Error(`${path}: a vector file must be a JSON array`);
  return runCases(path, runner, cases);
}
