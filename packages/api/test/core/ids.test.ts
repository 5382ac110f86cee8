import { describe, expect, it } from 'vitest';
import { IdOf, type IdPrefix, newId } from '../../src/core/ids.js';
import { containsPattern, escapeLike } from '../../src/core/like.js';

const prefixes: IdPrefix[] = ['user', 'model', 'prov', 'file', 'app', 'conv', 'key', 'tool', 'post', 'cmt'];

describe('IdOf', () => {
  it('accepts every id newId makes for its kind, and no other kind', () => {
    for (const prefix of prefixes) {
      for (let i = 0; i < 20; i += 1) expect(IdOf(prefix).safeParse(newId(prefix)).success).toBe(true);
      const other = prefix === 'tool' ? 'model' : 'tool';
      expect(IdOf(prefix).safeParse(newId(other)).success).toBe(false);
    }
  });

  it('refuses a bare prefix, upper case, other characters and more than 64 characters', () => {
    const ToolId = IdOf('tool');
    for (const bad of ['tool_', 'tool', 'TOOL_abc', 'tool_ABC', 'tool_a-b', ' tool_abc', `tool_${'a'.repeat(60)}`]) {
      expect(ToolId.safeParse(bad).success, bad).toBe(false);
    }
    expect(ToolId.safeParse(`tool_${'a'.repeat(59)}`).success).toBe(true);
  });
});

describe('LIKE patterns', () => {
  it('escapes the wildcards and the escape character, nothing else', () => {
    expect(escapeLike('50%_off\\now')).toBe('50\\%\\_off\\\\now');
    expect(escapeLike('plain text')).toBe('plain text');
  });

  it('builds a lower-case contains pattern', () => {
    expect(containsPattern('GPT_4')).toBe('%gpt\\_4%');
  });
});
