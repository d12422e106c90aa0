/**
 * The robot room's input files are read only when they are regular files within their size
 * limit: devices, FIFOs and directories are refused before any byte is read (a FIFO would block
 * the reader forever, /dev/zero would fill memory), and so is a collision mesh above its limit.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InputFileError, MAX_MESH_BYTES, readInputFile } from '../../src/robot/input_file.ts';
import { parseUrdf } from '../../src/robot/urdf/urdf_loader.ts';

describe('readInputFile', () => {
  it('reads a regular file, also through a symbolic link, and refuses everything else by kind or size', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 's2r-input-'));
    const text = `<robot name="r${Math.random()}"/>`;
    const file = path.join(dir, 'r.urdf');
    writeFileSync(file, text);
    symlinkSync(file, path.join(dir, 'link.urdf'));
    expect(readInputFile(path.join(dir, 'link.urdf'), 1024).toString('utf8')).toBe(text);
    const fifo = path.join(dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const refused = (f: string, max = 1024) => {
      try {
        readInputFile(f, max);
      } catch (e) {
        expect(e).toBeInstanceOf(InputFileError);
        return (e as Error).message;
      }
      throw new Error(`${f} was read`);
    };
    expect(refused('/dev/zero')).toBe('not a regular file (a character device); give the path of a file');
    expect(refused(fifo)).toBe('not a regular file (a FIFO); give the path of a file');
    expect(refused(dir)).toBe('not a regular file (a directory); give the path of a file');
    expect(refused(path.join(dir, 'nope'))).toBe('file not found');
    expect(refused(file, text.length - 1)).toBe(`the file is ${text.length} bytes, above the limit of ${text.length - 1} bytes`);
  });

  it('a URDF whose collision mesh is above the mesh limit is an error naming the mesh and the limit', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 's2r-input-'));
    writeFileSync(path.join(dir, 'huge.stl'), '');
    truncateSync(path.join(dir, 'huge.stl'), MAX_MESH_BYTES + 1);
    const xml = '<robot name="m"><link name="a"><collision><geometry><mesh filename="huge.stl"/></geometry></collision></link></robot>';
    expect(() => parseUrdf(xml, 'm.urdf', { baseDir: dir })).toThrow(/collision mesh huge\.stl .*the file is 33554433 bytes, above the limit of 33554432 bytes/);
  });
});
