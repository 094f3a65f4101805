import { BankOutlined, InboxOutlined, SafetyOutlined, SolutionOutlined, UserOutlined } from '@ant-design/icons';
import {
  Alert,
  Button,
  Card,
  Col,
  Descriptions,
  Empty,
  Form,
  Input,
  Result,
  Row,
  Space,
  Spin,
  Tag,
  Typography,
  Upload,
} from 'antd';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, hasRoute } from '../api';
import { errorText, Loadable, NotOnServer, useAsync } from '../common';
import { fmtTime, useT } from '../i18n';
import { PublicFrame } from '../shell';

export function Home() {
  const t = useT();
  const cards = [
    {
      to: '/holder',
      icon: <UserOutlined />,
      zh: '权利人服务',
      en: 'Holders',
      dzh: '查看、下载我的电子证照',
      den: 'View and download my certificates',
    },
    {
      to: '/institution',
      icon: <BankOutlined />,
      zh: '用证机构',
      en: 'Institutions',
      dzh: '银行等机构按事由查验证照',
      den: 'Banks query certificates with a purpose',
    },
    {
      to: '/verify',
      icon: <SafetyOutlined />,
      zh: '证照核验',
      en: 'Verify',
      dzh: '扫码或上传文件核验真伪与状态',
      den: 'Check a QR link or a file',
    },
    {
      to: '/login',
      icon: <SolutionOutlined />,
      zh: '工作人员',
      en: 'Staff',
      dzh: '登记机构管理控制台',
      den: 'Agency console',
    },
  ];
  return (
    <PublicFrame title={t('不动产登记电子证照平台', 'Real-estate registration e-certificates')}>
      <Row gutter={[16, 16]}>
        {cards.map((c) => (
          <Col xs={24} sm={12} lg={6} key={c.to}>
            <Link to={c.to}>
              <Card hoverable>
                <Space orientation="vertical">
                  <span style={{ fontSize: 28, color: '#1456c8' }}>{c.icon}</span>
                  <Typography.Title level={4} style={{ margin: 0 }}>
                    {t(c.zh, c.en)}
                  </Typography.Title>
                  <Typography.Text type="secondary">{t(c.dzh, c.den)}</Typography.Text>
                </Space>
              </Card>
            </Link>
          </Col>
        ))}
      </Row>
    </PublicFrame>
  );
}

/** Institution portal (Huangchuan 2.2: connected banks view and download with a stated purpose; C0124 interfaces). */
export function InstitutionPortal() {
  const t = useT();
  const ready = useAsync(async () => hasRoute('post', '/api/v1/share/search'), []);
  const [cred, setCred] = useState<string | null>(() => sessionStorage.getItem('bdcert.inst'));
  const [who, setWho] = useState<string>();
  const [err, setErr] = useState<string>();
  const signIn = async (v: { clientId: string; secret: string }) => {
    setErr(undefined);
    const basic = `Basic ${btoa(`${v.clientId}:${v.secret}`)}`;
    try {
      const me = await api<{ kind: string; institutionName?: string }>('/api/v1/auth/me', {
        headers: { authorization: basic },
      });
      if (me.kind !== 'institution') throw new Error(t('凭证无效', 'Invalid credentials'));
      // Kept for this tab only (sessionStorage), sent as HTTP Basic on each call; closing the tab signs out.
      sessionStorage.setItem('bdcert.inst', basic);
      setCred(basic);
      setWho(me.institutionName);
    } catch (e) {
      setErr(errorText(e, t));
    }
  };
  const signOut = () => {
    sessionStorage.removeItem('bdcert.inst');
    setCred(null);
  };
  return (
    <PublicFrame
      title={t('用证机构服务', 'Institution portal')}
      extra={
        cred && (
          <Button size="small" onClick={signOut}>
            {t('退出', 'Sign out')}
          </Button>
        )
      }
    >
      <Loadable state={ready} what={t('用证机构服务', 'institution portal')}>
        {(ok) =>
          !ok ? (
            <NotOnServer what={t('共享查询接口', 'sharing API')} />
          ) : cred ? (
            <InstitutionQuery cred={cred} who={who} />
          ) : (
            <Card style={{ maxWidth: 440 }} title={t('接口凭证登录', 'Sign in with API client credentials')}>
              {err && <Alert type="error" showIcon role="alert" title={err} style={{ marginBottom: 12 }} />}
              <Form layout="vertical" onFinish={signIn}>
                <Form.Item label={t('客户端编号', 'Client id')} name="clientId" rules={[{ required: true }]}>
                  <Input autoComplete="username" />
                </Form.Item>
                <Form.Item label={t('客户端密钥', 'Client secret')} name="secret" rules={[{ required: true }]}>
                  <Input.Password autoComplete="current-password" />
                </Form.Item>
                <Button type="primary" htmlType="submit" block>
                  {t('登录', 'Sign in')}
                </Button>
              </Form>
            </Card>
          )
        }
      </Loadable>
    </PublicFrame>
  );
}

interface ShareSummary {
  identifier: string;
  certificateNo: string;
  kind: string;
  status: string;
  statusName: string;
  issuer: string;
  registeredOn: string;
  location: string;
  holders: string;
}

function InstitutionQuery({ cred, who }: { cred: string; who: string | undefined }) {
  const t = useT();
  const [err, setErr] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [use, setUse] = useState<Record<string, string>>();
  const [items, setItems] = useState<ShareSummary[]>();
  const [got, setGot] = useState<string>();
  const download = async (c: ShareSummary, format: 'ofd' | 'pdf') => {
    setErr(undefined);
    try {
      const res = await fetch('/api/v1/share/download', {
        method: 'POST',
        headers: { authorization: cred, 'content-type': 'application/json' },
        body: JSON.stringify({ ...use, identifier: c.identifier, format }),
      });
      if (!res.ok) {
        const j = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
        throw new Error(j.error?.message ?? String(res.status));
      }
      const blob = await res.blob();
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = `${c.certificateNo}_加注件.${format}`;
      document.body.append(a);
      a.click();
      a.remove();
      setGot(
        t(
          `已下载加注件，有效期至 ${fmtTime(res.headers.get('x-annotation-expires'))}`,
          `Annotated copy downloaded; valid until ${fmtTime(res.headers.get('x-annotation-expires'))}`,
        ),
      );
    } catch (e) {
      setErr(errorText(e, t));
    }
  };
  return (
    <Space orientation="vertical" size={16} style={{ width: '100%' }}>
      {who && <Typography.Text type="secondary">{who}</Typography.Text>}
      <Card title={t('按持证主体查询', 'Query by holder')}>
        {err && <Alert type="error" showIcon role="alert" title={err} style={{ marginBottom: 12 }} />}
        <Form
          layout="vertical"
          initialValues={{ holderCodeType: '111' }}
          onFinish={async (v: Record<string, string>) => {
            setErr(undefined);
            setBusy(true);
            try {
              const r = await api<{ items: ShareSummary[] }>('/api/v1/share/search', {
                body: v,
                headers: { authorization: cred },
              });
              setUse(v);
              setItems(r.items);
            } catch (e) {
              setErr(errorText(e, t));
            } finally {
              setBusy(false);
            }
          }}
        >
          <Row gutter={16}>
            <Col xs={24} md={12}>
              <Form.Item label={t('用证事由', 'Purpose of use')} name="purpose" rules={[{ required: true, min: 2 }]}>
                <Input placeholder={t('如：个人住房抵押贷款审批', 'e.g. mortgage approval')} />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item label={t('业务编号', 'Case number')} name="caseNo" rules={[{ required: true }]}>
                <Input />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item
                label={t('持证主体代码（身份证号/统一社会信用代码）', 'Holder code (ID / USCC)')}
                name="holderCode"
                rules={[{ required: true }]}
              >
                <Input autoComplete="off" />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item
                label={t('代码类型', 'Code type')}
                name="holderCodeType"
                rules={[{ required: true, pattern: /^\d{3}$/ }]}
              >
                <Input />
              </Form.Item>
            </Col>
          </Row>
          <Button type="primary" htmlType="submit" loading={busy}>
            {t('查询', 'Query')}
          </Button>
        </Form>
      </Card>
      {got && <Alert type="success" showIcon title={got} data-testid="annotated-done" />}
      {items &&
        (items.length === 0 ? (
          <Empty description={t('未查到该主体的证照', 'No certificate for this holder')} />
        ) : (
          items.map((c) => (
            <Card
              key={c.identifier}
              size="small"
              title={c.certificateNo}
              extra={<Tag>{c.statusName}</Tag>}
              data-testid="share-result"
            >
              <Descriptions size="small" column={1}>
                <Descriptions.Item label={t('坐落', 'Location')}>{c.location}</Descriptions.Item>
                <Descriptions.Item label={t('权利人', 'Holders')}>{c.holders}</Descriptions.Item>
                <Descriptions.Item label={t('登记机构', 'Issuer')}>{c.issuer}</Descriptions.Item>
              </Descriptions>
              <Space>
                <Button type="primary" onClick={() => download(c, 'ofd')} data-testid="annotated-ofd">
                  {t('下载加注件 OFD', 'Annotated copy OFD')}
                </Button>
                <Button onClick={() => download(c, 'pdf')}>{t('下载加注件 PDF', 'Annotated copy PDF')}</Button>
              </Space>
            </Card>
          ))
        ))}
    </Space>
  );
}

/** Public verification (Sichuan Art. 13–14: verification through the portal, mobile too). */
export function VerifyPage() {
  const t = useT();
  const { token } = useParams();
  const ready = useAsync(
    async () => ({
      token: await hasRoute('get', '/api/v1/verify/{token}'),
      file: await hasRoute('post', '/api/v1/verify/file'),
    }),
    [],
  );
  return (
    <PublicFrame title={t('电子证照核验', 'Verify an e-certificate')}>
      <Loadable state={ready} what={t('证照核验', 'verification')}>
        {(r) => (
          <Space orientation="vertical" size={16} style={{ width: '100%' }}>
            {token ? (
              r.token ? (
                <TokenResult token={token} />
              ) : (
                <NotOnServer what={t('扫码核验接口', 'QR verification API')} />
              )
            ) : null}
            <Card title={t('上传证照文件核验', 'Verify by uploading a file')} size="small">
              {r.file ? <FileVerify /> : <NotOnServer what={t('文件核验接口', 'file verification API')} />}
            </Card>
          </Space>
        )}
      </Loadable>
    </PublicFrame>
  );
}

interface Verification {
  valid?: boolean;
  status?: string;
  statusName?: string;
  certificateNo?: string;
  location?: string;
  holders?: string;
  issuer?: string;
  unitNo?: string;
  sealedAt?: string | null;
  checks?: { id: string; title: string; titleEn: string; status: 'passed' | 'failed' | 'skipped'; reason?: string }[];
  meta?: { ZZBH: string | null; ZZBS: string | null };
}

function VerificationView({ v }: { v: Verification }) {
  const t = useT();
  const ok = v.valid !== false && (v.status === undefined || v.status === 'issued');
  return (
    <Result
      status={
        ok
          ? 'success'
          : v.valid === false || ['cancelled', 'revoked', 'void'].includes(v.status ?? '')
            ? 'error'
            : 'warning'
      }
      style={{ padding: '24px 8px' }}
      title={
        <span data-testid="verify-status">{v.statusName ?? (ok ? t('有效', 'Valid') : t('无效', 'Invalid'))}</span>
      }
      subTitle={v.certificateNo ?? v.meta?.ZZBH ?? undefined}
      extra={
        <Descriptions size="small" column={1} bordered style={{ textAlign: 'left' }}>
          {v.location && <Descriptions.Item label={t('坐落', 'Location')}>{v.location}</Descriptions.Item>}
          {v.holders && <Descriptions.Item label={t('权利人', 'Holders')}>{v.holders}</Descriptions.Item>}
          {v.issuer && <Descriptions.Item label={t('登记机构', 'Agency')}>{v.issuer}</Descriptions.Item>}
          {v.unitNo && <Descriptions.Item label={t('不动产单元号', 'Unit no.')}>{v.unitNo}</Descriptions.Item>}
          {v.sealedAt && <Descriptions.Item label={t('签章时间', 'Sealed')}>{fmtTime(v.sealedAt)}</Descriptions.Item>}
          {v.checks?.map((c) => (
            <Descriptions.Item key={c.id} label={t(c.title, c.titleEn)}>
              <Tag color={c.status === 'passed' ? 'green' : c.status === 'failed' ? 'red' : 'default'}>
                {c.status === 'passed'
                  ? t('通过', 'passed')
                  : c.status === 'failed'
                    ? t('未通过', 'failed')
                    : t('未检查', 'skipped')}
              </Tag>
              {c.reason ?? ''}
            </Descriptions.Item>
          ))}
        </Descriptions>
      }
    />
  );
}

function TokenResult({ token }: { token: string }) {
  const t = useT();
  const st = useAsync(() => api<Verification>(`/api/v1/verify/${encodeURIComponent(token)}`), [token]);
  return (
    <Card>
      <Loadable state={st} what={t('证照核验', 'verification')}>
        {(v) => <VerificationView v={v} />}
      </Loadable>
    </Card>
  );
}

function FileVerify() {
  const t = useT();
  const [busy, setBusy] = useState(false);
  const [v, setV] = useState<Verification>();
  const [err, setErr] = useState<string>();
  return (
    <>
      <Upload.Dragger
        accept=".ofd,.pdf"
        showUploadList={false}
        customRequest={async ({ file }) => {
          setBusy(true);
          setErr(undefined);
          try {
            const res = await fetch('/api/v1/verify/file', {
              method: 'POST',
              body: file as Blob,
              headers: { 'content-type': 'application/octet-stream' },
            });
            const j = (await res.json()) as Verification & { error?: { message: string } };
            if (!res.ok) throw new Error(j.error?.message ?? String(res.status));
            setV(j);
          } catch (e) {
            setErr(errorText(e, t));
          } finally {
            setBusy(false);
          }
        }}
      >
        <p style={{ fontSize: 32, color: '#1456c8' }}>
          <InboxOutlined />
        </p>
        <p>{t('点击或拖入 OFD / PDF 文件', 'Click or drop an OFD / PDF file')}</p>
      </Upload.Dragger>
      {busy && <Spin style={{ marginTop: 12 }} />}
      {err && <Alert type="error" showIcon role="alert" title={err} style={{ marginTop: 12 }} />}
      {v && <VerificationView v={v} />}
    </>
  );
}
