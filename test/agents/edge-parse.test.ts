import { describe, expect, it } from 'vitest';
import { parseEdgeConfig } from '../../agents/edge/main';
import { availableProviders, describeBackends, parseCpuInfo, parseOsRelease } from '../../agents/edge/parse';

const X86 = `processor\t: 0\nmodel name\t: AMD EPYC 7B13\ncpu MHz\t\t: 2450.000\nphysical id\t: 0\ncore id\t\t: 0\nflags\t\t: fpu sse4_2 avx avx2 fma\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\nphysical id\t: 0\ncore id\t\t: 0\n\nprocessor\t: 2\nphysical id\t: 0\ncore id\t\t: 1\n`;
const ARM = `processor\t: 0\nBogoMIPS\t: 48.00\nFeatures\t: fp asimd evtstrm aes asimddp\nCPU implementer\t: 0x41\n\nHardware\t: Qualcomm Technologies, Inc SM8250\n`;

describe('edge agent parsing', () => {
  it('reads /proc/cpuinfo on x86 and ARM', () => {
    expect(parseCpuInfo(X86)).toEqual({ model: 'AMD EPYC 7B13', mhz: 2450, physicalCores: 2, simd: ['sse4_2', 'avx', 'avx2', 'fma'] });
    expect(parseCpuInfo(ARM)).toEqual({ model: 'Qualcomm Technologies, Inc SM8250', mhz: null, physicalCores: null, simd: ['asimd', 'asimddp'] });
    expect(parseCpuInfo('')).toEqual({ model: null, mhz: null, physicalCores: null, simd: [] });
  });

  it('reads PRETTY_NAME from /etc/os-release', () => {
    expect(parseOsRelease('NAME="Debian"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')).toBe('Debian GNU/Linux 12 (bookworm)');
    expect(parseOsRelease('NAME=x')).toBeNull();
  });

  it('lists bundled execution providers, cpu first', () => {
    const backends = [{ name: 'webgpu', bundled: true }, { name: 'cpu', bundled: true }, { name: 'cuda', bundled: false }];
    expect(availableProviders(backends)).toEqual(['cpu', 'webgpu']);
    expect(describeBackends(backends)).toBe('webgpu, cpu, cuda (not bundled)');
  });

  it('validates the configuration with messages that name the field', () => {
    expect(parseEdgeConfig({ server: 'http://127.0.0.1:7070', token: 't', cacheDir: '/tmp/x' })).toMatchObject({ graceMs: 5000, logLevel: 'info' });
    expect(() => parseEdgeConfig({ server: 'not a url', token: 't', cacheDir: '/tmp/x' })).toThrow(/server: --server must be a URL/);
    expect(() => parseEdgeConfig({ server: 'http://x', token: '', cacheDir: '/tmp/x' })).toThrow(/token: a device token is required/);
    expect(() => parseEdgeConfig({ server: 'http://x', token: 't', cacheDir: '/tmp/x', threads: 0 })).toThrow(/threads/);
  });
});
