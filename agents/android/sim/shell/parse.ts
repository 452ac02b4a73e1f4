/**
 * A small POSIX-sh subset, enough for what adb clients send: words with quotes and `$?`/`$VAR`
 * expansion, `;` `&&` `||` `|` `&`, redirections (`>f`, `>>f`, `2>/dev/null`, `2>&1`, `<f`), and
 * `if`/`while`/`until`/`for` compound commands. Anything else is a syntax error with a reason.
 */

export type Segment = { type: 'lit'; text: string; quoted: boolean } | { type: 'var'; name: string; quoted: boolean };
export type Word = Segment[];

export interface Redirect {
  fd: number;
  op: '>' | '>>' | '<' | '>&';
  target: Word;
}

export type Node =
  | { kind: 'cmd'; words: Word[]; redirects: Redirect[]; assigns: Array<{ name: string; value: Word }> }
  | { kind: 'pipe'; stages: Node[] }
  | { kind: 'and' | 'or'; left: Node; right: Node }
  | { kind: 'seq'; items: Node[] }
  | { kind: 'loop'; until: boolean; cond: Node; body: Node }
  | { kind: 'for'; name: string; items: Word[]; body: Node }
  | { kind: 'if'; cond: Node; then: Node; otherwise: Node | null };

type Token = { t: 'word'; word: Word; raw: string } | { t: 'op'; op: string } | { t: 'redir'; fd: number; op: Redirect['op'] };

export class ShellSyntaxError extends Error {}

const OPS = ['&&', '||', ';;', ';', '|', '&', '\n', '(', ')'];

function lex(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#' ) {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    const redir = /^(\d?)(>>|>&|>|<)/.exec(src.slice(i));
    if (redir) {
      const op = redir[2] as Redirect['op'];
      tokens.push({ t: 'redir', fd: redir[1] ? Number(redir[1]) : op === '<' ? 0 : 1, op });
      i += redir[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op) {
      tokens.push({ t: 'op', op });
      i += op.length;
      continue;
    }
    const start = i;
    const word: Word = [];
    const lit = (text: string, quoted: boolean) => {
      const last = word[word.length - 1];
      if (last && last.type === 'lit' && last.quoted === quoted) last.text += text;
      else word.push({ type: 'lit', text, quoted });
    };
    const variable = (quoted: boolean): boolean => {
      const m = /^\$(\?|#|\$|[A-Za-z_][A-Za-z0-9_]*|\{[A-Za-z_?#][A-Za-z0-9_]*\})/.exec(src.slice(i));
      if (!m) {
        if (src.startsWith('$(', i)) throw new ShellSyntaxError('command substitution $(...) is not supported by the simulator');
        return false;
      }
      word.push({ type: 'var', name: m[1].replace(/^\{|\}$/g, ''), quoted });
      i += m[0].length;
      return true;
    };
    while (i < src.length && !/[\s;&|<>()]/.test(src[i])) {
      const ch = src[i];
      if (ch === "'") {
        const end = src.indexOf("'", i + 1);
        if (end < 0) throw new ShellSyntaxError('unterminated single quote');
        lit(src.slice(i + 1, end), true);
        i = end + 1;
      } else if (ch === '"') {
        i++;
        let closed = false;
        while (i < src.length) {
          if (src[i] === '"') {
            closed = true;
            i++;
            break;
          }
          if (src[i] === '\\' && i + 1 < src.length && '$`"\\\n'.includes(src[i + 1])) {
            lit(src[i + 1], true);
            i += 2;
          } else if (src[i] === '$' && variable(true)) {
            // consumed
          } else {
            lit(src[i], true);
            i++;
          }
        }
        if (!closed) throw new ShellSyntaxError('unterminated double quote');
        if (word.length === 0) lit('', true);
      } else if (ch === '\\') {
        if (i + 1 < src.length && src[i + 1] !== '\n') lit(src[i + 1], true);
        i += 2;
      } else if (ch === '`') {
        throw new ShellSyntaxError('command substitution `...` is not supported by the simulator');
      } else if (ch === '$' && variable(false)) {
        // consumed
      } else {
        lit(ch, false);
        i++;
      }
    }
    tokens.push({ t: 'word', word, raw: src.slice(start, i) });
  }
  return tokens;
}

const KEYWORDS = new Set(['if', 'then', 'elif', 'else', 'fi', 'while', 'until', 'do', 'done', 'for', 'in']);

function keywordOf(token: Token | undefined): string | null {
  if (!token || token.t !== 'word') return null;
  return token.word.length === 1 && token.word[0].type === 'lit' && !token.word[0].quoted && KEYWORDS.has(token.word[0].text) ? token.word[0].text : null;
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  parseProgram(): Node {
    const node = this.list(new Set());
    if (this.pos < this.tokens.length) throw new ShellSyntaxError(`unexpected ${this.describe(this.tokens[this.pos])}`);
    return node;
  }

  private describe(token: Token): string {
    return token.t === 'op' ? `'${token.op === '\n' ? 'newline' : token.op}'` : token.t === 'redir' ? `'${token.op}'` : `'${token.raw}'`;
  }

  private skipSeparators(): void {
    while (this.peekOp(';') || this.peekOp('\n') || this.peekOp('&')) this.pos++;
  }

  private peekOp(op: string): boolean {
    const t = this.tokens[this.pos];
    return t?.t === 'op' && t.op === op;
  }

  /** A list of and-or items separated by `;`, `&` or newlines, until one of the stop keywords. */
  private list(stop: Set<string>): Node {
    const items: Node[] = [];
    this.skipSeparators();
    while (this.pos < this.tokens.length) {
      const kw = keywordOf(this.tokens[this.pos]);
      if (kw && stop.has(kw)) break;
      if (this.peekOp(')')) break;
      items.push(this.andOr(stop));
      this.skipSeparators();
    }
    return items.length === 1 ? items[0] : { kind: 'seq', items };
  }

  private andOr(stop: Set<string>): Node {
    let left = this.pipeline(stop);
    while (this.peekOp('&&') || this.peekOp('||')) {
      const op = (this.tokens[this.pos++] as { op: string }).op;
      while (this.peekOp('\n')) this.pos++;
      const right = this.pipeline(stop);
      left = { kind: op === '&&' ? 'and' : 'or', left, right };
    }
    return left;
  }

  private pipeline(stop: Set<string>): Node {
    const stages = [this.command(stop)];
    while (this.peekOp('|')) {
      this.pos++;
      stages.push(this.command(stop));
    }
    return stages.length === 1 ? stages[0] : { kind: 'pipe', stages };
  }

  private expectKeyword(kw: string): void {
    if (keywordOf(this.tokens[this.pos]) !== kw) {
      const t = this.tokens[this.pos];
      throw new ShellSyntaxError(`expected '${kw}' but found ${t ? this.describe(t) : 'end of input'}`);
    }
    this.pos++;
  }

  private command(stop: Set<string>): Node {
    const kw = keywordOf(this.tokens[this.pos]);
    if (kw === 'if') return this.ifClause();
    if (kw === 'while' || kw === 'until') {
      this.pos++;
      const cond = this.list(new Set(['do']));
      this.expectKeyword('do');
      const body = this.list(new Set(['done']));
      this.expectKeyword('done');
      return { kind: 'loop', until: kw === 'until', cond, body };
    }
    if (kw === 'for') {
      this.pos++;
      const nameTok = this.tokens[this.pos++];
      if (nameTok?.t !== 'word' || !/^[A-Za-z_]\w*$/.test(nameTok.raw)) throw new ShellSyntaxError('for needs a variable name');
      const items: Word[] = [];
      if (keywordOf(this.tokens[this.pos]) === 'in') {
        this.pos++;
        while (this.tokens[this.pos]?.t === 'word' && keywordOf(this.tokens[this.pos]) !== 'do') items.push((this.tokens[this.pos++] as { word: Word }).word);
      }
      this.skipSeparators();
      this.expectKeyword('do');
      const body = this.list(new Set(['done']));
      this.expectKeyword('done');
      return { kind: 'for', name: nameTok.raw, items, body };
    }
    if (this.peekOp('(')) {
      this.pos++;
      const inner = this.list(new Set());
      if (!this.peekOp(')')) throw new ShellSyntaxError("expected ')'");
      this.pos++;
      return inner;
    }
    const words: Word[] = [];
    const redirects: Redirect[] = [];
    const assigns: Array<{ name: string; value: Word }> = [];
    while (this.pos < this.tokens.length) {
      const t = this.tokens[this.pos];
      if (t.t === 'op') break;
      if (words.length > 0 && keywordOf(t) && stop.has(keywordOf(t)!)) break;
      if (t.t === 'redir') {
        this.pos++;
        const target = this.tokens[this.pos++];
        if (target?.t !== 'word') throw new ShellSyntaxError(`redirection ${t.op} needs a target`);
        redirects.push({ fd: t.fd, op: t.op, target: target.word });
        continue;
      }
      const assign = words.length === 0 ? /^([A-Za-z_]\w*)=/.exec(t.raw) : null;
      if (assign && t.word[0]?.type === 'lit' && !t.word[0].quoted) {
        const first = t.word[0];
        const value: Word = [{ ...first, text: first.text.slice(assign[0].length) }, ...t.word.slice(1)];
        assigns.push({ name: assign[1], value });
        this.pos++;
        continue;
      }
      words.push(t.word);
      this.pos++;
    }
    if (words.length === 0 && redirects.length === 0 && assigns.length === 0) {
      const t = this.tokens[this.pos];
      throw new ShellSyntaxError(`unexpected ${t ? this.describe(t) : 'end of input'}`);
    }
    return { kind: 'cmd', words, redirects, assigns };
  }

  private ifClause(): Node {
    this.pos++;
    const cond = this.list(new Set(['then']));
    this.expectKeyword('then');
    const then = this.list(new Set(['elif', 'else', 'fi']));
    const kw = keywordOf(this.tokens[this.pos]);
    let otherwise: Node | null = null;
    if (kw === 'elif') {
      otherwise = this.ifClause();
      return { kind: 'if', cond, then, otherwise };
    }
    if (kw === 'else') {
      this.pos++;
      otherwise = this.list(new Set(['fi']));
    }
    this.expectKeyword('fi');
    return { kind: 'if', cond, then, otherwise };
  }
}

export function parseShell(src: string): Node {
  return new Parser(lex(src)).parseProgram();
}
