import { zipSync } from 'fflate';
import { makeSeal, signSES } from '../../src/crypto/ses.js';
import type { Sm2Signer } from '../../src/crypto/sm2.js';
import { sm3 } from '../../src/crypto/sm3.js';

/**
 * A deliberately tiny sealed OFD (GB/T 33190 + standards.md §7.3 layout) used only to exercise the third-party
 * reader harness before the project's OFD writer (src/documents/ofd) lands: one A4 page, a few text objects drawn
 * with a system font by name, and one GB/T 38540 seal whose StampAnnot sits at `stamp`. Not the product writer.
 */
export interface MiniOfdInput {
  readonly lines: readonly {
    readonly xMm: number;
    readonly yMm: number;
    readonly sizeMm: number;
    readonly text: string;
  }[];
  readonly stamp: { readonly xMm: number; readonly yMm: number; readonly wMm: number; readonly hMm: number };
  readonly seal: {
    readonly esId: string;
    readonly name: string;
    readonly png: Uint8Array;
    readonly validFrom: Date;
    readonly validTo: Date;
    readonly maker: { readonly certDer: Uint8Array; readonly signer: Sm2Signer };
    readonly signerCertDer: Uint8Array;
    readonly signer: Sm2Signer;
  };
  readonly time: Date;
}

const NS = 'xmlns:ofd="http://www.ofdspec.org/2016"';
const enc = (s: string) => new TextEncoder().encode(s);
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const pad = (n: number) => String(n).padStart(2, '0');
const ofdTime = (d: Date) =>
  `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;

export async function buildMiniSealedOfd(input: MiniOfdInput): Promise<Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  files['OFD.xml'] = enc(
    `<?xml version="1.0" encoding="UTF-8"?><ofd:OFD ${NS} Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>bdcert-mini</ofd:DocID><ofd:Title>不动产权证书</ofd:Title><ofd:CreationDate>2024-05-04</ofd:CreationDate></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot><ofd:Signatures>Doc_0/Signs/Signatures.xml</ofd:Signatures></ofd:DocBody></ofd:OFD>`,
  );
  files['Doc_0/Document.xml'] = enc(
    `<?xml version="1.0" encoding="UTF-8"?><ofd:Document ${NS}><ofd:CommonData><ofd:MaxUnitID>100</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData><ofd:Pages><ofd:Page ID="2" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>`,
  );
  files['Doc_0/PublicRes.xml'] = enc(
    `<?xml version="1.0" encoding="UTF-8"?><ofd:Res ${NS} BaseLoc="Res"><ofd:Fonts><ofd:Font ID="3" FontName="Noto Serif CJK SC" FamilyName="Noto Serif CJK SC"/></ofd:Fonts></ofd:Res>`,
  );
  let id = 10;
  const objects = input.lines
    .map((l) => {
      const w = [...l.text].length * l.sizeMm;
      return `<ofd:TextObject ID="${id++}" Boundary="${l.xMm} ${l.yMm - l.sizeMm} ${w + 2} ${l.sizeMm * 1.4}" Font="3" Size="${l.sizeMm}"><ofd:FillColor Value="0 0 0"/><ofd:TextCode X="0" Y="${l.sizeMm}" DeltaX="g ${[...l.text].length - 1} ${l.sizeMm}">${esc(l.text)}</ofd:TextCode></ofd:TextObject>`;
    })
    .join('');
  files['Doc_0/Pages/Page_0/Content.xml'] = enc(
    `<?xml version="1.0" encoding="UTF-8"?><ofd:Page ${NS}><ofd:Content><ofd:Layer ID="4">${objects}</ofd:Layer></ofd:Content></ofd:Page>`,
  );
  files['Doc_0/Signs/Signatures.xml'] = enc(
    `<?xml version="1.0" encoding="UTF-8"?><ofd:Signatures ${NS}><ofd:MaxSignId>1</ofd:MaxSignId><ofd:Signature ID="1" Type="Seal" BaseLoc="/Doc_0/Signs/Sign_0/Signature.xml"/></ofd:Signatures>`,
  );
  const s = input.seal;
  const sealDer = await makeSeal({
    esId: s.esId,
    name: s.name,
    createDate: s.validFrom,
    validFrom: s.validFrom,
    validTo: s.validTo,
    signerCertsDer: [s.signerCertDer],
    picture: { type: 'PNG', data: s.png, widthMm: input.stamp.wMm, heightMm: input.stamp.hMm },
    maker: s.maker,
  });
  files['Doc_0/Signs/Sign_0/Seal.esl'] = sealDer;
  const refs = Object.entries(files)
    .map(
      ([p, b]) =>
        `<ofd:Reference FileRef="/${p}"><ofd:CheckValue>${Buffer.from(sm3(b)).toString('base64')}</ofd:CheckValue></ofd:Reference>`,
    )
    .join('');
  const st = input.stamp;
  const signatureXml = enc(
    `<?xml version="1.0" encoding="UTF-8"?><ofd:Signature ${NS}><ofd:SignedInfo><ofd:Provider ProviderName="bdcert" Company="bdcert" Version="1.0"/><ofd:SignatureMethod>1.2.156.10197.1.501</ofd:SignatureMethod><ofd:SignatureDateTime>${ofdTime(input.time)}</ofd:SignatureDateTime><ofd:References CheckMethod="1.2.156.10197.1.401">${refs}</ofd:References><ofd:StampAnnot ID="1" PageRef="2" Boundary="${st.xMm} ${st.yMm} ${st.wMm} ${st.hMm}"/><ofd:Seal><ofd:BaseLoc>/Doc_0/Signs/Sign_0/Seal.esl</ofd:BaseLoc></ofd:Seal></ofd:SignedInfo><ofd:SignedValue>/Doc_0/Signs/Sign_0/SignedValue.dat</ofd:SignedValue></ofd:Signature>`,
  );
  files['Doc_0/Signs/Sign_0/Signature.xml'] = signatureXml;
  files['Doc_0/Signs/Sign_0/SignedValue.dat'] = await signSES({
    sealDer,
    signerCertDer: s.signerCertDer,
    signer: s.signer,
    dataHash: sm3(signatureXml),
    propertyInfo: '/Doc_0/Signs/Sign_0/Signature.xml',
    time: input.time,
  });
  return zipSync(files, { level: 6, mtime: new Date('2024-01-01T00:00:00Z') });
}
