import { BankOutlined, InboxOutlined, SafetyOutlined, SolutionOutlined, UserOutlined } from '@ant-design/icons';
import {
  Alert,
  Button,
  Card,
  Col,
  Descriptions,
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
import { ComingSoon, errorText, Loadable, useAsync } from '../common';
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
                <Space direction="vertical">
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

/** Institution portal (Huangchuan 2.2: connected banks view and download with a stated purpose). */
export function InstitutionPortal() {
  const t = useT();
  const ready = useAsync(async () => hasRoute('post', '/api/v1/share/query'), []);
  return (
    <PublicFrame title={t('用证机构服务', 'Institution portal')}>
      <Loadable state={ready} what={t('用证机构服务', 'institution portal')}>
        {(ok) => (ok ? <InstitutionQuery /> : <ComingSoon what={t('共享查询接口', 'sharing API')} />)}
      </Loadable>
    </PublicFrame>
  );
}

function InstitutionQuery() {
  const t = useT();
  const [err, setErr] = useState<string>();
  const [result, setResult] = useState<{
    items: { id: string; certificateNo: string; statusName: string; downloadUrl?: string }[];
  }>();
  return (
    <Card>
      {err && <Alert type="error" showIcon role="alert" message={err} style={{ marginBottom: 12 }} />}
      <Form
        layout="vertical"
        onFinish={async (v: Record<string, string>) => {
          setErr(undefined);
          try {
            setResult(await api('/api/v1/share/query', { body: v }));
          } catch (e) {
            setErr(errorText(e, t));
          }
        }}
      >
        <Form.Item
          label={t('权利人证件号或证号', 'Holder ID or certificate no.')}
          name="query"
          rules={[{ required: true }]}
        >
          <Input />
        </Form.Item>
        <Form.Item label={t('用证事由', 'Purpose of use')} name="purpose" rules={[{ required: true }]}>
          <Input />
        </Form.Item>
        <Form.Item label={t('业务编号', 'Case number')} name="caseNo" rules={[{ required: true }]}>
          <Input />
        </Form.Item>
        <Button type="primary" htmlType="submit">
          {t('查询', 'Query')}
        </Button>
      </Form>
      {result?.items.map((c) => (
        <Card
          key={c.id}
          size="small"
          style={{ marginTop: 12 }}
          title={c.certificateNo}
          extra={<Tag>{c.statusName}</Tag>}
        >
          {c.downloadUrl && <Button href={c.downloadUrl}>{t('下载加注副本', 'Download annotated copy')}</Button>}
        </Card>
      ))}
    </Card>
  );
}

interface Verification {
  valid?: boolean;
  status?: string;
  statusName?: string;
  certificateNo?: string;
  kind?: string;
  location?: string;
  holders?: string;
  agency?: string;
  issuedAt?: string | null;
  checkedAt?: string;
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
          <Space direction="vertical" size={16} style={{ width: '100%' }}>
            {token ? (
              r.token ? (
                <TokenResult token={token} />
              ) : (
                <ComingSoon what={t('扫码核验接口', 'QR verification API')} />
              )
            ) : null}
            <Card title={t('上传证照文件核验', 'Verify by uploading a file')} size="small">
              {r.file ? <FileVerify /> : <ComingSoon what={t('文件核验接口', 'file verification API')} />}
            </Card>
          </Space>
        )}
      </Loadable>
    </PublicFrame>
  );
}

function VerificationView({ v }: { v: Verification }) {
  const t = useT();
  const ok = v.valid !== false && v.status === 'issued';
  return (
    <Result
      status={ok ? 'success' : v.valid === false ? 'error' : 'warning'}
      title={
        <span data-testid="verify-status">{v.statusName ?? (ok ? t('有效', 'Valid') : t('无效', 'Invalid'))}</span>
      }
      subTitle={v.certificateNo}
      extra={
        <Descriptions size="small" column={1} bordered style={{ textAlign: 'left' }}>
          {v.location && <Descriptions.Item label={t('坐落', 'Location')}>{v.location}</Descriptions.Item>}
          {v.holders && <Descriptions.Item label={t('权利人', 'Holders')}>{v.holders}</Descriptions.Item>}
          {v.agency && <Descriptions.Item label={t('登记机构', 'Agency')}>{v.agency}</Descriptions.Item>}
          {v.issuedAt && <Descriptions.Item label={t('签发时间', 'Issued')}>{fmtTime(v.issuedAt)}</Descriptions.Item>}
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
      {err && <Alert type="error" showIcon role="alert" message={err} style={{ marginTop: 12 }} />}
      {v && <VerificationView v={v} />}
    </>
  );
}
